import { Webhook } from 'standardwebhooks';

/**
 * The Standard Webhooks headers for one attempt: `webhook-id` (the same on every retry),
 * `webhook-timestamp` (this attempt) and one `v1,` signature per secret, space-separated.
 */
export function signatureHeaders(messageId: string, body: string, secrets: string[], at = new Date()): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(messageId, at, body));
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
