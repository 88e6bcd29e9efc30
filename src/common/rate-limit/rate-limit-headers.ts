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
  // One pass, no intermediate arrays or closures: this runs on every counted request.
  let nearest = windows[0];
  let policy = '';
  let state = '';
  let retryAfter = 0;
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i];
    if (i > 0) {
      if (w.remaining < nearest.remaining || (w.remaining === nearest.remaining && w.resetIn > nearest.resetIn)) nearest = w;
      policy += ', ';
      state += ', ';
    }
    policy += `"${w.name}";q=${w.limit};w=${w.windowSeconds}`;
    state += `"${w.name}";r=${w.remaining};t=${w.resetIn}`;
    if (w.exceeded && w.resetIn > retryAfter) retryAfter = w.resetIn;
  }
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(nearest.limit),
    'X-RateLimit-Remaining': String(nearest.remaining),
    'X-RateLimit-Reset': String(Math.floor(nowMs / 1000) + nearest.resetIn),
    'RateLimit-Policy': policy,
    RateLimit: state,
  };
  // resetIn is at least 1, so an exceeded window always sets it.
  if (retryAfter > 0) headers['Retry-After'] = String(retryAfter);
  return headers;
}
