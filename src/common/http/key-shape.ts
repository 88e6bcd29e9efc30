/** What an API key looks like anywhere in text: `{prefix}_{live|test}_` and a run of base62. */
export const KEY_SHAPE = /[a-z]{2,8}_(live|test)_[0-9A-Za-z]{16,}/;
const KEY_SHAPES = new RegExp(KEY_SHAPE.source, 'g');

/** Query parameter names that would carry a key, whatever their value. */
const KEY_PARAMS = new Set(['api_key', 'apikey', 'api-key', 'x-api-key', 'key', 'access_token', 'token']);

// Two substring searches settle ordinary text before any regular expression runs.
const holdsKey = (text: string) => (text.includes('_live_') || text.includes('_test_')) && KEY_SHAPE.test(text);

/** Percent-escapes decoded byte by byte (a key is ASCII); a malformed escape stays as it is instead of throwing. */
const unescaped = (text: string) => text.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/**
 * True when a request target carries a key: key-shaped text anywhere in it (path, `;` parameters,
 * query names or values, repeated or bare, a fragment a raw client sent), percent-encoded or not,
 * or a query parameter named like one (`?api_key=`, `?token=`).
 */
export function urlCarriesKey(url: string, query: unknown): boolean {
  if (holdsKey(url) || (url.includes('%') && holdsKey(unescaped(url)))) return true;
  if ((url.includes('?') || url.includes('#')) && query !== null && typeof query === 'object') {
    for (const name in query) if (KEY_PARAMS.has(name.toLowerCase())) return true;
  }
  return false;
}

/** The text with anything key-shaped replaced, percent-encoded keys included: for log lines and error messages. */
export function redactKeys(text: string): string {
  if (holdsKey(text)) text = text.replace(KEY_SHAPES, '[redacted]');
  if (text.includes('%') && holdsKey(unescaped(text))) text = unescaped(text).replace(KEY_SHAPES, '[redacted]');
  return text;
}

/** A request target's path as it may be logged: no query string or fragment (they may carry anything), nothing key-shaped. */
export function loggablePath(url: string): string {
  const query = url.indexOf('?');
  const fragment = url.indexOf('#');
  const end = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
  return redactKeys(end < 0 ? url : url.slice(0, end));
}
