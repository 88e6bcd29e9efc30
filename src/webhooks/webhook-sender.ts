import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { assertLiteralAllowed, guardedLookup } from './outbound-address';
import { WEBHOOK_DELIVERY_OPTIONS, type WebhookDeliveryOptions } from './webhook-options';

export const USER_AGENT = 'Latchkey-Webhooks/1.0 (+https://github.com/latchkey)';
const BODY_KEPT = 1024;

export interface SendResult {
  status: number | null;
  /** The first KiB of the answer. */
  body: string | null;
  error: string | null;
  /** What a Retry-After header asked for, in ms. */
  retryAfterMs: number | null;
  durationMs: number;
}

/** Seconds or an HTTP date, as milliseconds from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  if (/^\d{1,10}$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * POSTs one signed payload with node:http(s) (redirects are never followed), connecting only to
 * public addresses unless private networks are allowed, and gives up after the timeout.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;
  private readonly inFlight = new Set<{ destroy(error?: Error): void }>();

  constructor(@Inject(WEBHOOK_DELIVERY_OPTIONS) private readonly options: WebhookDeliveryOptions) {
    const lookup = guardedLookup(options.resolve, options.allowPrivateNetworks);
    this.http = new HttpAgent({ keepAlive: true, maxSockets: 64, lookup } as object);
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 64, lookup, ...(options.ca ? { ca: options.ca } : {}) } as object);
  }

  /** Cuts every request in flight short (at shutdown). */
  abortAll(): void {
    for (const req of this.inFlight) req.destroy(new Error('the service shut down'));
  }

  onApplicationShutdown() {
    this.abortAll();
    this.http.destroy();
    this.https.destroy();
  }

  async send(target: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now();
    const took = () => Math.round(performance.now() - started);
    const failed = (error: string): SendResult => ({ status: null, body: null, error: error.slice(0, 500), retryAfterMs: null, durationMs: took() });
    let url: URL;
    try {
      url = new URL(target);
      if (url.protocol !== 'https:' && !(this.options.allowPrivateNetworks && url.protocol === 'http:')) return failed('only https:// URLs are allowed');
      assertLiteralAllowed(url, this.options.allowPrivateNetworks);
    } catch (err) {
      return failed((err as Error).message);
    }
    const secure = url.protocol === 'https:';
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(req);
        resolve(result);
      };
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: secure ? this.https : this.http,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': USER_AGENT },
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          const done = () => {
            const text = Buffer.concat(chunks).subarray(0, BODY_KEPT).toString('utf8');
            finish({ status: res.statusCode ?? null, body: text, error: null, retryAfterMs: parseRetryAfter(res.headers['retry-after']), durationMs: took() });
          };
          res.on('data', (chunk: Buffer) => {
            if (kept < BODY_KEPT) chunks.push(chunk);
            kept += chunk.length;
            if (kept >= BODY_KEPT) {
              done();
              res.destroy();
            }
          });
          res.on('end', done);
          res.on('error', done);
          res.on('close', done);
        },
      );
      this.inFlight.add(req);
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      req.on('error', (err) => finish(failed(err.message)));
      req.end(body);
    });
  }
}
