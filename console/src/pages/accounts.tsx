import { useEffect, useState } from 'preact/hooks';
import { api, errorText, fieldErrors, unwrap, type Account } from '../api';
import { ConfirmDialog, Dialog, ErrorMessage } from '../components/dialog';
import { OneTimeKey } from '../components/one-time-key';
import { DateTime, Field, Loading, PageHeader, StatusBadge } from '../components/ui';
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
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const problems = fieldErrors(error);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const { data } = await unwrap(api.POST('/v1/admin/accounts', { body: { name: form.name.trim(), email: form.email.trim(), plan: form.plan } }));
      onCreated(data.account.name, data.api_key.key);
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <Dialog title="Create account" onClose={onCancel}>
      <form class="form" onSubmit={(e) => void submit(e)} noValidate>
        <div class="dialog-body">
          <Field label="Name" error={problems.name}>{(a) => <input {...a} class="input" value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />}</Field>
          <Field label="Email" error={problems.email}>{(a) => <input {...a} class="input" type="email" value={form.email} onInput={(e) => setForm({ ...form, email: e.currentTarget.value })} />}</Field>
          <PlanSelect value={form.plan} plans={plans} onChange={(plan) => setForm({ ...form, plan })} error={problems.plan} />
          {error !== null && <ErrorMessage text={errorText(error)} />}
        </div>
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy}>
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function PlanSelect({ value, plans, onChange, error }: { value: string; plans: string[]; onChange: (plan: string) => void; error?: string }) {
  return (
    <Field label="Plan" error={error}>
      {(a) => (
        <select {...a} class="input" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          {plans.map((slug) => (
            <option value={slug} key={slug}>
              {slug}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function ChangePlanDialog({ account, plans, onDone, onCancel }: { account: Account; plans: string[]; onDone: () => void; onCancel: () => void }) {
  const [plan, setPlan] = useState(account.plan);
  const [error, setError] = useState<string | null>(null);
  const save = async (event: Event) => {
    event.preventDefault();
    try {
      await unwrap(api.PATCH('/v1/admin/accounts/{id}', { params: { path: { id: account.id } }, body: { plan } }));
      onDone();
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  return (
    <Dialog title={`Change plan for ${account.name}`} onClose={onCancel}>
      <form class="form" onSubmit={(e) => void save(e)}>
        <div class="dialog-body">
          <PlanSelect value={plan} plans={plans} onChange={setPlan} />
          {error && <ErrorMessage text={error} />}
        </div>
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" class="button button-primary">
            Save changes
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function AccountsPage() {
  const { session } = useSession();
  const { plans } = usePlans();
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<AccountDialog | null>(null);
  const [busy, setBusy] = useState(false);
  const load = async (after?: string) => {
    try {
      const page = await unwrap(api.GET('/v1/admin/accounts', { params: { query: { limit: 50, ...(after ? { cursor: after } : {}) } } }));
      setAccounts((previous) => (after && previous ? [...previous, ...page.data] : page.data));
      setCursor(page.next_cursor ?? null);
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  useEffect(() => void load(), []);
  const slugs = (plans ?? []).map((p) => p.slug);
  const done = () => {
    setDialog(null);
    setBusy(false);
    void load();
  };

  /** A portal session for that account, in the operator's name; the link opens in a new tab. */
  const openConsole = async (account: Account) => {
    setError(null);
    try {
      const { data } = await unwrap(api.POST('/v1/admin/accounts/{id}/portal-sessions', { params: { path: { id: account.id } }, body: { user: portalUser(session.user) } }));
      window.open(data.url, '_blank', 'noopener');
    } catch (caught) {
      setError(errorText(caught));
    }
  };
  const changeStatus = async (account: Account, status: 'active' | 'suspended') => {
    setBusy(true);
    try {
      await unwrap(api.PATCH('/v1/admin/accounts/{id}', { params: { path: { id: account.id } }, body: { status } }));
      done();
    } catch (caught) {
      setError(errorText(caught));
      setDialog(null);
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title="Accounts" description="Your customers' accounts. Opening an account's console signs you in to it in a new tab, in your name; it is recorded in that account's audit log.">
        <button type="button" class="button button-primary" onClick={() => setDialog({ kind: 'create' })} disabled={!plans}>
          Create account
        </button>
      </PageHeader>
      {error && <ErrorMessage text={error} />}
      {!accounts ? (
        !error && <Loading what="accounts" />
      ) : (
        <div class="table-wrap">
          <table class="table">
            <caption class="visually-hidden">Accounts</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Plan</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
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
                      {account.status === 'active' ? (
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
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" class="button" onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
      {dialog?.kind === 'create' && <CreateAccountDialog plans={slugs} onCancel={() => setDialog(null)} onCreated={(name, secret) => setDialog({ kind: 'first-key', name, secret })} />}
      {dialog?.kind === 'first-key' && <OneTimeKey title={`First API key for ${dialog.name}`} secret={dialog.secret} onDone={done} />}
      {dialog?.kind === 'plan' && <ChangePlanDialog account={dialog.account} plans={slugs} onDone={done} onCancel={() => setDialog(null)} />}
      {dialog?.kind === 'status' && (
        <ConfirmDialog
          title={dialog.to === 'suspended' ? `Suspend ${dialog.account.name}?` : `Reactivate ${dialog.account.name}?`}
          danger={dialog.to === 'suspended'}
          busy={busy}
          onCancel={() => setDialog(null)}
          onConfirm={() => changeStatus(dialog.account, dialog.to)}
        >
          <p>{dialog.to === 'suspended' ? 'Its keys are refused and its console sessions end at once, until you reactivate it.' : 'Its keys work again at once.'}</p>
        </ConfirmDialog>
      )}
    </>
  );
}
