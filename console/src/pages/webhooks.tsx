import { PageHeader } from '../components/ui';

export function WebhooksPage() {
  return (
    <>
      <PageHeader title="Webhooks" />
      <div class="empty">
        <p>
          <strong>Webhooks are coming soon.</strong>
        </p>
        <p class="muted">You will be able to receive signed events when your keys are created, changed, revoked or about to expire.</p>
      </div>
    </>
  );
}
