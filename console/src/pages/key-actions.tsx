import { useState } from 'preact/hooks';
import { api, unwrap, type ApiKey, type ApiKeyWithSecret } from '../api';
import { ConfirmDialog, Dialog, DialogActions, ErrorMessage } from '../components/dialog';
import { useApiCall } from '../components/hooks';
import { OneTimeKey } from '../components/one-time-key';
import { formatDateTime, WEEK_MS } from '../format';
import { useSession } from '../session';
import { KeyFormDialog } from './key-form';

/** The key object without its one-time secret, for everything that outlives the one-time display. */
const withoutSecret = ({ key: _secret, ...rest }: ApiKeyWithSecret): ApiKey => rest;

export type KeyAction = 'edit' | 'deactivate' | 'activate' | 'regenerate' | 'revoke' | 'delete';
export type KeyDialog = { action: KeyAction; key: ApiKey } | { action: 'secret'; key: ApiKeyWithSecret; title: string } | { action: 'create' };

/** The buttons for one key, each opening its dialog; none for a session that cannot write keys. */
export function KeyActionButtons({ apiKey, open }: { apiKey: ApiKey; open: (dialog: KeyDialog) => void }) {
  const { can } = useSession();
  if (!can('keys:write')) return null;
  const live = apiKey.status === 'active' || apiKey.status === 'inactive';
  const button = (action: KeyAction, label: string, tone = '') => (
    <button type="button" class={`button button-small ${tone}`} onClick={() => open({ action, key: apiKey })}>
      {label}
    </button>
  );
  return (
    <div class="row-actions">
      {apiKey.status !== 'revoked' && button('edit', 'Edit')}
      {apiKey.status === 'active' && button('deactivate', 'Deactivate')}
      {apiKey.status === 'inactive' && button('activate', 'Activate')}
      {live && button('regenerate', 'Regenerate')}
      {apiKey.status !== 'revoked' && button('revoke', 'Revoke', 'button-danger-ghost')}
      {button('delete', 'Delete', 'button-danger-ghost')}
    </div>
  );
}

const GRACE = [
  { seconds: 0, label: 'Immediately' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
];

interface HostProps {
  dialog: KeyDialog | null;
  setDialog: (dialog: KeyDialog | null) => void;
  /** After a change: the changed key, or null when it was deleted. */
  onChanged: (key: ApiKey | null, id: string) => void;
}

/** Renders whichever key dialog is open and performs its action. */
export function KeyDialogs({ dialog, setDialog, onChanged }: HostProps) {
  const call = useApiCall();
  const [grace, setGrace] = useState(0);
  if (!dialog) return null;
  const close = () => {
    call.reset();
    setGrace(0);
    setDialog(null);
  };

  if (dialog.action === 'create') {
    return <KeyFormDialog mode="create" onCancel={close} onCreated={(created) => { onChanged(withoutSecret(created), created.id); setDialog({ action: 'secret', key: created, title: 'API key created' }); }} />;
  }
  if (dialog.action === 'secret') return <OneTimeKey title={dialog.title} secret={dialog.key.key} onDone={close} />;
  const key = dialog.key;
  const path = { params: { path: { id: key.id } } };
  if (dialog.action === 'edit') {
    return <KeyFormDialog mode="edit" apiKey={key} onCancel={close} onSaved={(saved) => { onChanged(saved, saved.id); close(); }} />;
  }
  if (dialog.action === 'regenerate') {
    const regenerate = () =>
      call.run(async () => {
        const { data } = await unwrap(api.POST('/v1/api-keys/{id}/regenerate', { ...path, body: grace ? { grace_period_seconds: grace } : {} }));
        onChanged(withoutSecret(data), data.id);
        setDialog({ action: 'secret', key: data, title: 'New API key' });
      });
    return (
      <Dialog title={`Regenerate ${key.name}`} onClose={close}>
        <div class="dialog-body">
          <p>A new secret replaces the current one; the key keeps its name, settings and id. Update every integration that uses it.</p>
          <fieldset class="fieldset">
            <legend>When should the current secret stop working?</legend>
            {GRACE.map((g) => (
              <label class="check" key={g.seconds}>
                <input type="radio" name="grace" checked={grace === g.seconds} onChange={() => setGrace(g.seconds)} /> {g.label}
              </label>
            ))}
          </fieldset>
          {call.message && <ErrorMessage text={call.message} />}
        </div>
        <DialogActions label="Confirm" onCancel={close} onConfirm={regenerate} busy={call.busy} danger />
      </Dialog>
    );
  }

  const recentlyUsed = key.last_used_at && Date.now() - Date.parse(key.last_used_at) < WEEK_MS;
  const copy = {
    deactivate: { title: `Deactivate ${key.name}?`, text: 'The key stops working immediately, until you activate it again.', danger: true },
    activate: { title: `Activate ${key.name}?`, text: 'The key works again immediately.', danger: false },
    revoke: { title: `Revoke ${key.name}?`, text: 'Revoking is permanent: every request with this key is refused from now on. The key stays listed as revoked.', danger: true },
    delete: { title: `Delete ${key.name}?`, text: 'The key is revoked and permanently removed. Its audit trail stays.', danger: true },
  }[dialog.action];
  const action = dialog.action;
  const confirm = () =>
    call.run(async () => {
      if (action === 'delete') {
        await unwrap(api.DELETE('/v1/api-keys/{id}', path));
        onChanged(null, key.id);
      } else {
        const route = ({ deactivate: '/v1/api-keys/{id}/deactivate', activate: '/v1/api-keys/{id}/activate', revoke: '/v1/api-keys/{id}/revoke' } as const)[action];
        const { data } = await unwrap(api.POST(route, path));
        onChanged(data, data.id);
      }
      close();
    });
  return (
    <ConfirmDialog title={copy.title} danger={copy.danger} busy={call.busy} error={call.message} onCancel={close} onConfirm={confirm}>
      <p>{copy.text}</p>
      {dialog.action === 'delete' && recentlyUsed && (
        <p class="warning">
          This key was used in the last 7 days (last used {formatDateTime(key.last_used_at)}
          {key.last_used_ip ? ` from ${key.last_used_ip}` : ''}). Anything still using it will stop working.
        </p>
      )}
    </ConfirmDialog>
  );
}
