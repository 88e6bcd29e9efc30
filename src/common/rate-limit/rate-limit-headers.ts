/** One window's state after counting a request. */
export interface WindowState {
  name: string;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetIn: number;
  windowSeconds: number;
  exceeded: boolean;
}

/** A window's state from what the storage answered for it. */
export function windowState(name: string, limit: number, ttlMs: number, record: { totalHits: number; timeToExpire: number }): WindowState {
  return {
    name,
    limit,
    remaining: Math.max(0, limit - record.totalHits),
    resetIn: Math.max(1, record.timeToExpire),
    windowSeconds: ttlMs / 1000,
    exceeded: record.totalHits > limit,
  };
}

/**
 * `X-RateLimit-*` for the window nearest exhaustion (reset as Unix epoch seconds), and the IETF
 * `RateLimit-Policy` / `RateLimit` pair for every window.
 */
export function rateLimitHeaders(windows: WindowState[], nowMs = Date.now()): Record<string, string> {
  const nearest = windows.reduce((a, b) => (b.remaining < a.remaining || (b.remaining === a.remaining && b.resetIn > a.resetIn) ? b : a));
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(nearest.limit),
    'X-RateLimit-Remaining': String(nearest.remaining),
    'X-RateLimit-Reset': String(Math.floor(nowMs / 1000) + nearest.resetIn),
    'RateLimit-Policy': windows.map((w) => `"${w.name}";q=${w.limit};w=${w.windowSeconds}`).join(', '),
    RateLimit: windows.map((w) => `"${w.name}";r=${w.remaining};t=${w.resetIn}`).join(', '),
  };
  const exceeded = windows.filter((w) => w.exceeded);
  if (exceeded.length) headers['Retry-After'] = String(Math.max(...exceeded.map((w) => w.resetIn)));
  return headers;
}
