import { useState } from 'preact/hooks';
import { api, unwrap, type Account } from '../api';
import { ConfirmDialog, ErrorMessage } from '../components/dialog';
import { FormDialog } from '../components/form-dialog';
import { useApiCall, usePaged } from '../components/hooks';
import { DataTable, LoadMore } from '../components/table';
import { OneTimeKey } from '../components/one-time-key';
import { DateTime, Field, Loading, Options, PageHeader, StatusBadge } from '../components/ui';
import { useSession, type SessionUser } from '../session';
import { usePlans } from './plans';

/** The operator's own person, as the opened session's user (the customer's audit log shows it). */
const portalUser = ({ id, email, name }: SessionUser) => ({ id, ...(email ? { email } : {}), ...(name ? { name } : {}) });

type AccountDialog =
  | { kind: 'create' }
  | { kind: 'first-key'; secret: string; name: string }
  | { kind: 'plan'; account: Account }
  | { kind: 'status'; account: Account; to: 'active' | 'suspended' };

function CreateAccountDialog({ plans, onCreated, onCancel }: { plans: string[]; onCreated: (name: string, secret: string) => void; onCancel: () => void }) {
  const [form, setForm] = useState({ name: '', email: '', plan: plans.includes('pro') ? 'pro' : (plans[0] ?? '') });
  const call = useApiCall();
  const problems = call.problems;
  const submit = () =>
    call.run(async () => {
      const { data } = await unwrap(api.POST('/v1/admin/accounts', { body: { name: form.name.trim(), email: form.email.trim(), plan: form.plan } }));
      onCreated(data.account.name, data.api_key.key);
    });
  return (
    <FormDialog title="Create account" submitLabel="Create" onSubmit={submit} onCancel={onCancel} busy={call.busy} error={call.message}>
      <Field label="Name" error={problems.name}>{(a) => <input {...a} class="input" value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />}</Field>
      <Field label="Email" error={problems.email}>{(a) => <input {...a} class="input" type="email" value={form.email} onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} />}</Field>
      <PlanSelect value={form.plan} plans={plans} onChange={(plan) => setForm({ ...form, plan })} error={problems.plan} />
    </FormDialog>
  );
}

function PlanSelect({ value, plans, onChange, error }: { value: string; plans: string[]; onChange: (plan: string) => void; error?: string }) {
  return (
    <Field label="Plan" error={error}>
      {(a) => (
        <select {...a} class="input" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          <Options items={plans} />
        </select>
      )}
    </Field>
  );
}

function ChangePlanDialog({ account, plans, onDone, onCancel }: { account: Account; plans: string[]; onDone: () => void; onCancel: () => void }) {
  const [plan, setPlan] = useState(account.plan);
  const call = useApiCall();
  const save = () =>
    call.run(async () => {
      await unwrap(api.PATCH('/v1/admin/accounts/{id}', { params: { path: { id: account.id } }, body: { plan } }));
      onDone();
    });
  return (
    <FormDialog title={`Change plan for ${account.name}`} submitLabel="Save changes" onSubmit={save} onCancel={onCancel} error={call.message}>
      <PlanSelect value={plan} plans={plans} onChange={setPlan} />
    </FormDialog>
  );
}

export function AccountsPage() {
  const { session, account: own } = useSession();
  const { plans } = usePlans();
  const list = usePaged((after) => unwrap(api.GET('/v1/admin/accounts', { params: { query: { limit: 50, ...(after ? { cursor: after } : {}) } } })), []);
  const accounts = list.items;
  const [dialog, setDialog] = useState<AccountDialog | null>(null);
  const action = useApiCall();
  const slugs = (plans ?? []).map((p) => p.slug);
  const done = () => {
    setDialog(null);
    void list.reload();
  };

  /** A portal session for that account, in the operator's name; the link opens in a new tab. */
  const openConsole = (account: Account) =>
    action.run(async () => {
      const { data } = await unwrap(api.POST('/v1/admin/accounts/{id}/portal-sessions', { params: { path: { id: account.id } }, body: { user: portalUser(session.user) } }));
      window.open(data.url, '_blank', 'noopener');
    });
  const changeStatus = (account: Account, status: 'active' | 'suspended') =>
    action.run(async () => {
      try {
        await unwrap(api.PATCH('/v1/admin/accounts/{id}', { params: { path: { id: account.id } }, body: { status } }));
      } finally {
        setDialog(null);
      }
      void list.reload();
    });
  const error = action.message ?? list.error;

  return (
    <>
      <PageHeader title="Accounts" description="Your customers' accounts. Opening an account's console signs you in to it in a new tab, in your name; it is recorded in that account's audit log.">
        <button type="button" class="button button-primary" onClick={() => setDialog({ kind: 'create' })} disabled={!plans}>
          Create account
        </button>
      </PageHeader>
      {error && <ErrorMessage text={error} />}
      {!accounts || (list.error && !accounts.length) ? (
        !error && <Loading what="accounts" />
      ) : (
        <DataTable caption="Accounts" columns={['Name', 'Email', 'Plan', 'Status', 'Created']} actions>
          {accounts.map((account) => (
            <tr key={account.id}>
              <th scope="row">{account.name}</th>
              <td>{account.email}</td>
              <td>
                <code>{account.plan}</code>
              </td>
              <td>
                <StatusBadge status={account.status} />
              </td>
              <td>
                <DateTime iso={account.created_at} />
              </td>
              <td>
                <div class="row-actions">
                  <button type="button" class="button button-small" onClick={() => setDialog({ kind: 'plan', account })} disabled={!plans}>
                    Change plan
                  </button>
                  {account.id === own.id ? null : account.status === 'active' ? (
                    <button type="button" class="button button-small button-danger-ghost" onClick={() => setDialog({ kind: 'status', account, to: 'suspended' })}>
                      Suspend
                    </button>
                  ) : (
                    <button type="button" class="button button-small" onClick={() => setDialog({ kind: 'status', account, to: 'active' })}>
                      Reactivate
                    </button>
                  )}
                  <button type="button" class="button button-small" onClick={() => void openConsole(account)}>
                    Open console
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <LoadMore cursor={list.cursor} onMore={list.more} />
      {dialog?.kind === 'create' && <CreateAccountDialog plans={slugs} onCancel={() => setDialog(null)} onCreated={(name, secret) => setDialog({ kind: 'first-key', name, secret })} />}
      {dialog?.kind === 'first-key' && <OneTimeKey title={`First API key for ${dialog.name}`} secret={dialog.secret} onDone={done} />}
      {dialog?.kind === 'plan' && <ChangePlanDialog account={dialog.account} plans={slugs} onDone={done} onCancel={() => setDialog(null)} />}
      {dialog?.kind === 'status' && (
        <ConfirmDialog
          title={dialog.to === 'suspended' ? `Suspend ${dialog.account.name}?` : `Reactivate ${dialog.account.name}?`}
          danger={dialog.to === 'suspended'}
          busy={action.busy}
          onCancel={() => setDialog(null)}
          onConfirm={() => changeStatus(dialog.account, dialog.to)}
        >
          <p>{dialog.to === 'suspended' ? 'Its keys are refused and its console sessions end at once, until you reactivate it.' : 'Its keys work again at once.'}</p>
        </ConfirmDialog>
      )}
    </>
  );
}
