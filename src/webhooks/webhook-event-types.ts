/** Every event type a webhook endpoint can receive (the contract's list). */
export const WEBHOOK_EVENT_TYPES = [
  'api_key.created',
  'api_key.updated',
  'api_key.activated',
  'api_key.deactivated',
  'api_key.regenerated',
  'api_key.revoked',
  'api_key.deleted',
  'api_key.expiring',
  'api_key.expired',
  'api_key.leaked',
  'account.updated',
  'webhook.test',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const isWebhookEventType = (value: string): value is WebhookEventType =>
  (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
