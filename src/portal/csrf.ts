import type { IncomingHttpHeaders } from 'node:http';

export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The browser says the request comes from the console's own origin: the Origin header, or Sec-Fetch-Site. */
export function fromOwnOrigin(headers: IncomingHttpHeaders, origin: string): boolean {
  return headers.origin === origin || headers['sec-fetch-site'] === 'same-origin';
}

/**
 * For a sign-in (no session yet): refused only when a browser says another site sent it. A client
 * without Origin or Sec-Fetch-Site is no browser, and cannot plant a session in one.
 */
export function fromOtherSite(headers: IncomingHttpHeaders, origin: string): boolean {
  if (fromOwnOrigin(headers, origin)) return false;
  const site = headers['sec-fetch-site'];
  return headers.origin !== undefined || (site !== undefined && site !== 'none');
}
