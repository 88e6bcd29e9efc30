import { useState } from 'preact/hooks';
import { api, errorText, unwrap } from '../api';
import { ConfirmDialog, ErrorMessage } from '../components/dialog';
import { useApiCall } from '../components/hooks';
import { OneTimeKey } from '../components/one-time-key';
import { useSession } from '../session';
import { WebhookFormDialog, type WebhookEndpoint, type WebhookEndpointWithSecret } from './webhook-form';

/** The endpoint object without its one-time secret, for everything that outlives the one-time display. */
const withoutSecret = ({ secret: _secret, ...rest }: WebhookEndpointWithSecret): WebhookEndpoint => rest;

export type EndpointDialog =
  | { action: 'create' }
  | { action: 'edit' | 'rotate' | 'delete'; endpoint: WebhookEndpoint }
  | { action: 'secret'; endpoint: WebhookEndpointWithSecret; rotated: boolean };

export type Outcome = { tone: 'success' | 'error'; text: string } | null;

/** Disable, Enable and Send test event act at once; their outcome is shown beside the page's title. */
export function useQuickActions(onChanged: (endpoint: WebhookEndpoint) => void, onTestSent?: (endpoint: WebhookEndpoint) => void) {
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const run = async (endpoint: WebhookEndpoint, work: () => Promise<string>) => {
    setBusy(endpoint.id);
    setOutcome(null);
    try {
      setOutcome({ tone: 'success', text: await work() });
    } catch (caught) {
      setOutcome({ tone: 'error', text: errorText(caught) });
    } finally {
      setBusy(null);
    }
  };
  const path = (endpoint: WebhookEndpoint) => ({ params: { path: { id: endpoint.id } } });
  const setStatus = (endpoint: WebhookEndpoint, status: 'enabled' | 'disabled') =>
    run(endpoint, async () => {
      const { data } = await unwrap(api.PATCH('/v1/webhook-endpoints/{id}', { ...path(endpoint), body: { status } }));
      onChanged(data);
      return status === 'enabled' ? `Deliveries to ${data.url} resume now.` : `No more events go to ${data.url} until you enable it again.`;
    });
  const sendTest = (endpoint: WebhookEndpoint) =>
    run(endpoint, async () => {
      const { data } = await unwrap(api.POST('/v1/webhook-endpoints/{id}/test', path(endpoint)));
      onTestSent?.(endpoint);
      return `A test event (${data.id}) is on its way to ${endpoint.url}.`;
    });
  return { outcome, busy, setStatus, sendTest };
}
export type QuickActions = ReturnType<typeof useQuickActions>;

export function OutcomeMessage({ outcome }: { outcome: Outcome }) {
  return (
    <>
      <p class="status-message outcome" role="status">
        {outcome?.tone === 'success' ? outcome.text : ''}
      </p>
      {outcome?.tone === 'error' && <ErrorMessage text={outcome.text} />}
    </>
  );
}

/** One endpoint's buttons; none for a session that cannot manage webhooks. */
export function EndpointActionButtons({ endpoint, open, quick }: { endpoint: WebhookEndpoint; open: (dialog: EndpointDialog) => void; quick: QuickActions }) {
  const { can } = useSession();
  if (!can('webhooks:write')) return null;
  const enabled = endpoint.status === 'enabled';
  const busy = quick.busy === endpoint.id;
  const button = (label: string, onClick: () => void, tone = '') => (
    <button type="button" class={`button button-small ${tone}`} onClick={onClick} disabled={busy}>
      {label}
    </button>
  );
  return (
    <div class="row-actions">
      {button('Edit', () => open({ action: 'edit', endpoint }))}
      {enabled ? button('Disable', () => void quick.setStatus(endpoint, 'disabled')) : button('Enable', () => void quick.setStatus(endpoint, 'enabled'))}
      {button('Rotate secret', () => open({ action: 'rotate', endpoint }))}
      {enabled && button('Send test event', () => void quick.sendTest(endpoint))}
      {button('Delete', () => open({ action: 'delete', endpoint }), 'button-danger-ghost')}
    </div>
  );
}

interface DialogsProps {
  dialog: EndpointDialog | null;
  setDialog: (dialog: EndpointDialog | null) => void;
  /** A changed endpoint, or null with the id of a deleted one. */
  onChanged: (endpoint: WebhookEndpoint | null, id: string) => void;
}

export function EndpointDialogs({ dialog, setDialog, onChanged }: DialogsProps) {
  const call = useApiCall();
  if (!dialog) return null;
  const close = () => {
    setDialog(null);
    call.reset();
  };

  if (dialog.action === 'create') {
    return (
      <WebhookFormDialog
        mode="create"
        onCancel={close}
        onCreated={(created) => {
          onChanged(withoutSecret(created), created.id);
          setDialog({ action: 'secret', endpoint: created, rotated: false });
        }}
      />
    );
  }
  if (dialog.action === 'secret') {
    return (
      <OneTimeKey title={dialog.rotated ? 'New signing secret' : 'Endpoint added'} secret={dialog.endpoint.secret} label="Signing secret" remedy="rotate it" onDone={close}>
        <p>
          {dialog.rotated
            ? 'Both the new and the previous secret sign every delivery for the next 24 hours: switch your receiver to the new one within that time.'
            : 'Your receiver checks each delivery’s webhook-signature header with this secret (Standard Webhooks).'}
        </p>
      </OneTimeKey>
    );
  }
  const endpoint = dialog.endpoint;
  if (dialog.action === 'edit') {
    return (
      <WebhookFormDialog
        mode="edit"
        endpoint={endpoint}
        onCancel={close}
        onSaved={(saved) => {
          onChanged(saved, saved.id);
          close();
        }}
      />
    );
  }
  const path = { params: { path: { id: endpoint.id } } };
  if (dialog.action === 'rotate') {
    const rotate = () =>
      call.run(async () => {
        const { data } = await unwrap(api.POST('/v1/webhook-endpoints/{id}/rotate-secret', path));
        onChanged(withoutSecret(data), data.id);
        setDialog({ action: 'secret', endpoint: data, rotated: true });
      });
    return (
      <ConfirmDialog title="Rotate the signing secret?" busy={call.busy} error={call.message} onCancel={close} onConfirm={rotate}>
        <p>
          A new secret is made for <code>{endpoint.url}</code> and shown once. Both secrets sign every delivery for 24 hours, then only the new one does.
        </p>
      </ConfirmDialog>
    );
  }
  const remove = () =>
    call.run(async () => {
      await unwrap(api.DELETE('/v1/webhook-endpoints/{id}', path));
      onChanged(null, endpoint.id);
      close();
    });
  return (
    <ConfirmDialog title="Delete this endpoint?" danger busy={call.busy} error={call.message} onCancel={close} onConfirm={remove}>
      <p>
        No more events go to <code>{endpoint.url}</code>, and its delivery history is removed. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
