/** Every action the audit log records (the contract's list). */
export enum AuditAction {
  KeyCreated = 'api_key.created',
  KeyUpdated = 'api_key.updated',
  KeyActivated = 'api_key.activated',
  KeyDeactivated = 'api_key.deactivated',
  KeyRegenerated = 'api_key.regenerated',
  KeyRevoked = 'api_key.revoked',
  KeyDeleted = 'api_key.deleted',
  /** A secret scanner found the key in public; the actor is `system`. */
  KeyLeaked = 'api_key.leaked',
  AuthFailed = 'auth.failed',
  AccountCreated = 'account.created',
  AccountUpdated = 'account.updated',
  PlanCreated = 'plan.created',
  PlanUpdated = 'plan.updated',
  PortalSessionCreated = 'portal_session.created',
  PortalSessionRedeemed = 'portal_session.redeemed',
  PortalSessionEnded = 'portal_session.ended',
  WebhookEndpointCreated = 'webhook_endpoint.created',
  WebhookEndpointUpdated = 'webhook_endpoint.updated',
  WebhookEndpointDeleted = 'webhook_endpoint.deleted',
  WebhookEndpointSecretRotated = 'webhook_endpoint.secret_rotated',
}
