import { useEffect, useState } from 'preact/hooks';
import { api, errorText, unwrap, type Schemas } from '../api';
import { ErrorMessage } from '../components/dialog';
import { DateTime, Loading, PageHeader } from '../components/ui';
import { formatNumber } from '../format';
import { useSession } from '../session';

/** The plan's own words when it has no API access (the contract's FORBIDDEN sentence); the shell shows it above every page. */
export const NO_API_ACCESS = (plan: string) => `API access is not available on the ${plan} plan. Upgrade to Pro.`;

export function AccountPage() {
  const { account, session, can } = useSession();
  const [overview, setOverview] = useState<Schemas['AccountOverviewDto'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (can('account:read')) unwrap(api.GET('/v1/account')).then((r) => setOverview(r.data), (e: unknown) => setError(errorText(e)));
  }, []);
  const plan = overview?.plan;
  return (
    <>
      <PageHeader title="Account" description={account.name} />
      {error && <ErrorMessage text={error} />}
      {can('account:read') && !overview && !error && <Loading what="the account" />}
      {overview && plan && (
        <section class="card" aria-labelledby="plan-heading">
          <h2 id="plan-heading">Plan</h2>
          <dl class="details">
            <dt>Plan</dt>
            <dd>
              <strong>{plan.name}</strong>
            </dd>
            <dt>API access</dt>
            <dd>{plan.api_access ? 'Included' : 'Not included'}</dd>
            <dt>Rate limits</dt>
            <dd>
              {formatNumber(overview.rate_limit_per_minute)} requests a minute, {formatNumber(overview.rate_limit_per_hour)} an hour
            </dd>
            <dt>API keys</dt>
            <dd>
              {overview.max_keys === null ? (
                `${formatNumber(overview.key_count)} used (unlimited)`
              ) : (
                <>
                  <span id="keys-used">
                    {formatNumber(overview.key_count)} of {formatNumber(overview.max_keys)} used
                  </span>
                  <progress class="meter" max={overview.max_keys} value={overview.key_count} aria-labelledby="keys-used" />
                </>
              )}
            </dd>
            <dt>Status</dt>
            <dd>{overview.status === 'active' ? 'Active' : 'Suspended'}</dd>
          </dl>
        </section>
      )}
      <section class="card" aria-labelledby="session-heading">
        <h2 id="session-heading">This session</h2>
        <dl class="details">
          <dt>Signed in as</dt>
          <dd>
            {session.user.name ?? session.user.id}
            {session.user.email && <span class="muted"> ({session.user.email})</span>}
          </dd>
          <dt>Permissions</dt>
          <dd>{session.scopes.map((s) => <code class="chip" key={s}>{s === '*' ? 'all scopes' : s}</code>)}</dd>
          <dt>Ends</dt>
          <dd>
            <DateTime iso={session.expires_at} />
          </dd>
        </dl>
      </section>
    </>
  );
}
