import { useEffect, useState } from 'preact/hooks';
import { api, errorText, LatchkeyError, onSessionEnded, setSignedIn, unwrap } from './api';
import { PlanNoticeContext } from './components/dialog';
import { Notice } from './components/ui';
import { AccountPage, NO_API_ACCESS } from './pages/account';
import { AccountsPage } from './pages/accounts';
import { AuditPage } from './pages/audit';
import { KeyDetailPage } from './pages/key-detail';
import { KeysPage } from './pages/keys';
import { PlansPage } from './pages/plans';
import { UsagePage } from './pages/usage';
import { WebhookDetailPage } from './pages/webhook-detail';
import { WebhooksPage } from './pages/webhooks';
import { Link, navigate, useRoute } from './router';
import { can, currentSession, redeem, SessionContext, signOut, takeSignInCode, type SignedIn } from './session';

type State =
  | { phase: 'loading' }
  | { phase: 'signed-out'; message: string | null }
  | { phase: 'signed-in'; signedIn: SignedIn };

const ENDED = 'Your session has ended. Sign in again.';
const REPLACED = 'This browser signed in to another account in another tab, so this tab has stopped. Sign in again through your provider’s dashboard.';
/** Tabs of this console tell each other when a sign-in replaces the one session cookie they share. */
const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('latchkey-console');

export function App() {
  const [state, setState] = useState<State>({ phase: 'loading' });
  useEffect(() => {
    const code = takeSignInCode();
    const start = code ? redeem(code) : currentSession();
    start.then(
      (signedIn) => {
        if (code) channel?.postMessage({ session: signedIn.session.id });
        setState({ phase: 'signed-in', signedIn });
      },
      (error: unknown) => setState({ phase: 'signed-out', message: code ? errorText(error) : error instanceof LatchkeyError && error.status === 401 ? null : errorText(error) }),
    );
    const stop = onSessionEnded(() => setState({ phase: 'signed-out', message: ENDED }));
    const onMessage = (event: MessageEvent<{ session: string }>) =>
      setState((current) => {
        if (current.phase !== 'signed-in' || current.signedIn.session.id === event.data.session) return current;
        setSignedIn(false);
        return { phase: 'signed-out', message: REPLACED };
      });
    channel?.addEventListener('message', onMessage);
    return () => {
      stop();
      channel?.removeEventListener('message', onMessage);
    };
  }, []);

  if (state.phase === 'loading') {
    return (
      <main class="signed-out" id="main">
        <p role="status">Signing in…</p>
      </main>
    );
  }
  if (state.phase === 'signed-out') return <SignedOut message={state.message} />;
  return (
    <SessionContext.Provider value={state.signedIn}>
      <Shell signedIn={state.signedIn} onSignedOut={() => setState({ phase: 'signed-out', message: 'You have signed out.' })} />
    </SessionContext.Provider>
  );
}

function SignedOut({ message }: { message: string | null }) {
  useEffect(() => {
    document.title = 'Sign in · Latchkey console';
  }, []);
  return (
    <main class="signed-out" id="main">
      <div class="signed-out-card">
        <p class="brand brand-dark">Latchkey</p>
        <h1>Sign in through your provider's dashboard</h1>
        {message && (
          <p class="signed-out-message" role="alert">
            {message}
          </p>
        )}
        <p class="muted">This console opens from the dashboard of the service you use: go to its Settings &gt; API Keys, and it signs you in here with a one-time link.</p>
      </div>
    </main>
  );
}

const PAGES = [
  { path: 'keys', label: 'API Keys' },
  { path: 'usage', label: 'Usage' },
  { path: 'audit', label: 'Audit log' },
  { path: 'account', label: 'Account' },
  { path: 'webhooks', label: 'Webhooks' },
];
const OPERATOR_PAGES = [
  { path: 'accounts', label: 'Accounts' },
  { path: 'plans', label: 'Plans' },
];

function page(path: string, operator: boolean) {
  const detail = /^keys\/([^/]+)$/.exec(path);
  if (detail) return { section: 'keys', title: 'API key', view: <KeyDetailPage id={detail[1]} /> };
  const endpoint = /^webhooks\/([^/]+)$/.exec(path);
  if (endpoint) return { section: 'webhooks', title: 'Webhook endpoint', view: <WebhookDetailPage id={endpoint[1]} /> };
  const section = path || 'keys';
  const views: Record<string, [string, () => preact.JSX.Element]> = {
    keys: ['API Keys', () => <KeysPage />],
    usage: ['Usage', () => <UsagePage />],
    audit: ['Audit log', () => <AuditPage />],
    account: ['Account', () => <AccountPage />],
    webhooks: ['Webhooks', () => <WebhooksPage />],
    ...(operator ? { accounts: ['Accounts', () => <AccountsPage />], plans: ['Plans', () => <PlansPage />] } : {}),
  };
  const found = views[section];
  if (!found) return { section, title: 'Not found', view: <NotFound /> };
  return { section, title: found[0], view: found[1]() };
}

function NotFound() {
  return (
    <div class="empty">
      <h1>Page not found</h1>
      <p>
        <Link to="keys">Go to your API keys</Link>
      </p>
    </div>
  );
}

function Shell({ signedIn, onSignedOut }: { signedIn: SignedIn; onSignedOut: () => void }) {
  const path = useRoute();
  const operator = can(signedIn.session, 'admin');
  const current = page(path, operator);
  const [planNotice, setPlanNotice] = useState<string | null>(null);
  const [signingOut, setSigningOut] = useState(false);
  useEffect(() => {
    document.title = `${current.title} · Latchkey console`;
  }, [current.title]);
  useEffect(() => {
    unwrap(api.GET('/v1/plans')).then(
      (r) => {
        const plan = r.data.find((p) => p.slug === signedIn.account.plan);
        setPlanNotice(plan && !plan.api_access ? NO_API_ACCESS(plan.name) : null);
      },
      () => undefined,
    );
  }, [signedIn.account.plan]);
  // Focus follows navigation to the new page's heading, for keyboard and screen reader users.
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [path]);

  const logout = async () => {
    setSigningOut(true);
    try {
      await signOut();
    } finally {
      onSignedOut();
    }
  };
  const item = ({ path: to, label }: { path: string; label: string }) => (
    <li key={to}>
      <Link to={to} class={current.section === to ? 'nav-link nav-link-active' : 'nav-link'} aria-current={current.section === to ? 'page' : undefined}>
        {label}
      </Link>
    </li>
  );
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <aside class="sidebar">
        <div class="sidebar-top">
          <p class="brand">Latchkey</p>
          <p class="sidebar-account" title={signedIn.account.name}>
            {signedIn.account.name}
          </p>
        </div>
        <nav aria-label="Console">
          <ul class="nav-list">{PAGES.map(item)}</ul>
          {operator && (
            <>
              <p class="nav-heading" id="nav-operator">
                Operator
              </p>
              <ul class="nav-list" aria-labelledby="nav-operator">
                {OPERATOR_PAGES.map(item)}
              </ul>
            </>
          )}
        </nav>
        <div class="sidebar-bottom">
          {signedIn.session.return_url && (
            <a class="nav-link nav-link-back" href={signedIn.session.return_url}>
              ← Back to your dashboard
            </a>
          )}
          <p class="sidebar-user">{signedIn.session.user.email ?? signedIn.session.user.name ?? signedIn.session.user.id}</p>
          <button type="button" class="button button-sidebar" onClick={() => void logout()} disabled={signingOut}>
            Sign out
          </button>
        </div>
      </aside>
      <main class="main" id="main" tabIndex={-1}>
        <PlanNoticeContext.Provider value={planNotice}>
          {planNotice && (
            <Notice tone="warning">
              <p>{planNotice}</p>
            </Notice>
          )}
          {current.view}
        </PlanNoticeContext.Provider>
      </main>
    </div>
  );
}

export { navigate };
