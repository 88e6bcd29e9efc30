import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths, operations } from './schema';
/** The API's named schemas: `Schemas['ApiKeyDto']`, `Schemas['AuditEventDto']`… */
export type Schemas = components['schemas'];
export type LatchkeyClient = Client<paths>;
export type { Middleware };

export interface LatchkeyClientOptions {
  /** Where the service answers, without `/v1` (`https://keys.example.com`). Empty in the browser: same origin. */
  baseUrl?: string;
  /**
   * Server side: the API key, sent as `X-API-Key`. Never give one to code that runs in a browser:
   * the browser signs in with a portal link and its session cookie instead.
   */
  apiKey?: string;
  /** Browser: send the portal session cookie (`same-origin` for the console served by the service itself). */
  credentials?: 'same-origin' | 'include';
  /** Another fetch (tests, proxies, retries). */
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
}

/** A typed client for every route of the API (paths, bodies and answers checked by the compiler). */
export function createLatchkeyClient(options: LatchkeyClientOptions = {}): LatchkeyClient {
  if (options.apiKey && options.credentials) throw new TypeError('Give either an API key or cookie credentials, not both.');
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) headers['X-API-Key'] = options.apiKey;
  return createClient<paths>({
    baseUrl: (options.baseUrl ?? '').replace(/\/+$/, ''),
    headers,
    // A key client never sends cookies; a cookie client never holds a key.
    credentials: options.credentials ?? 'omit',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** The contract's error body: `{success: false, error, code, request_id, details?}`. */
export type ErrorBody = Schemas['ErrorBodyDto'];

/** An answer that was not a success, carrying the contract's error sentence as its message. */
export class LatchkeyError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly details: { field: string; message: string }[];

  constructor(status: number, body: Partial<ErrorBody> | undefined) {
    super(body?.error ?? `The service answered ${status}.`);
    this.name = 'LatchkeyError';
    this.status = status;
    this.code = body?.code ?? (status >= 500 ? 'SERVICE_UNAVAILABLE' : 'UNKNOWN');
    this.requestId = body?.request_id;
    this.details = body?.details ?? [];
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/**
 * The body of a successful answer, or a LatchkeyError with the API's own sentence:
 * `const { data: key } = await unwrap(client.POST('/v1/api-keys', { body }))`.
 */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data;
  throw new LatchkeyError(response.status, isErrorBody(error) ? error : undefined);
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && 'error' in value && 'code' in value;
}

/** `lk_live_…abcd`: how a key is shown once its secret is gone. */
export const maskedKey = (key: { prefix: string; last4: string }) => `${key.prefix}…${key.last4}`;
