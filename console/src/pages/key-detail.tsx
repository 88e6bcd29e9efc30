import { useEffect, useState } from 'preact/hooks';
import { maskedKey } from '@latchkey/sdk';
import { api, errorText, unwrap, type ApiKey, type Schemas } from '../api';
import { ErrorMessage } from '../components/dialog';
import { DateTime, EnvironmentBadge, ExpirySoon, Loading, PageHeader, StatusBadge } from '../components/ui';
import { UsageChart } from '../components/usage-chart';
import { navigate, Link } from '../router';
import { KeyActionButtons, KeyDialogs, type KeyDialog } from './key-actions';

export type Granularity = 'hour' | 'day';

/** One key's usage for the last 24 hours (per hour) or 30 days (per day). */
export function useUsage(keyId: string | null, granularity: Granularity) {
  const [usage, setUsage] = useState<Schemas['UsageDto'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!keyId) return;
    setUsage(null);
    unwrap(api.GET('/v1/api-keys/{id}/usage', { params: { path: { id: keyId }, query: { granularity } } })).then(
      (r) => {
        setUsage(r.data);
        setError(null);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [keyId, granularity]);
  return { usage, error };
}

export function GranularityPicker({ value, onChange }: { value: Granularity; onChange: (g: Granularity) => void }) {
  return (
    <div class="segmented" role="radiogroup" aria-label="Period">
      {(
        [
          ['hour', 'Last 24 hours, per hour'],
          ['day', 'Last 30 days, per day'],
        ] as const
      ).map(([g, label]) => (
        <label class={value === g ? 'segment segment-on' : 'segment'} key={g}>
          <input type="radio" name="granularity" class="visually-hidden" checked={value === g} onChange={() => onChange(g)} />
          {label}
        </label>
      ))}
    </div>
  );
}

export function KeyDetailPage({ id }: { id: string }) {
  const [key, setKey] = useState<ApiKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<KeyDialog | null>(null);
  const [granularity, setGranularity] = useState<Granularity>('hour');
  const { usage, error: usageError } = useUsage(id, granularity);
  useEffect(() => {
    unwrap(api.GET('/v1/api-keys/{id}', { params: { path: { id } } })).then(
      (r) => setKey(r.data),
      (e: unknown) => setError(errorText(e)),
    );
  }, [id]);

  if (error) return <ErrorMessage text={error} />;
  if (!key) return <Loading what="the key" />;
  return (
    <>
      <p class="breadcrumb">
        <Link to="keys">API Keys</Link> <span aria-hidden="true">/</span>
      </p>
      <PageHeader title={key.name}>
        <KeyActionButtons apiKey={key} open={setDialog} />
      </PageHeader>
      <section class="card" aria-labelledby="key-details">
        <h2 id="key-details">Details</h2>
        <dl class="details">
          <dt>Key</dt>
          <dd>
            <code class="masked">{maskedKey(key)}</code>
          </dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={key.status} />
          </dd>
          <dt>Environment</dt>
          <dd>
            <EnvironmentBadge environment={key.environment} />
          </dd>
          <dt>Last used</dt>
          <dd>
            {key.last_used_at ? (
              <>
                <DateTime iso={key.last_used_at} /> from <code>{key.last_used_ip ?? 'an unknown address'}</code>
              </>
            ) : (
              'Never'
            )}
          </dd>
          <dt>Created</dt>
          <dd>
            <DateTime iso={key.created_at} />
          </dd>
          <dt>Expires</dt>
          <dd>
            <DateTime iso={key.expires_at} empty="Never" /> <ExpirySoon apiKey={key} />
          </dd>
          {key.revoked_at && (
            <>
              <dt>Revoked</dt>
              <dd>
                <DateTime iso={key.revoked_at} />
              </dd>
            </>
          )}
          <dt>Scopes</dt>
          <dd>{key.scopes.map((s) => <code class="chip" key={s}>{s === '*' ? 'all scopes' : s}</code>)}</dd>
          <dt>Allowed IPs</dt>
          <dd>{key.allowed_ips.length ? key.allowed_ips.map((ip) => <code class="chip" key={ip}>{ip}</code>) : 'Any'}</dd>
          <dt>Allowed referrers</dt>
          <dd>{key.allowed_referrers.length ? key.allowed_referrers.map((r) => <code class="chip" key={r}>{r}</code>) : 'Any'}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="key-usage">
        <div class="card-header">
          <h2 id="key-usage">Usage</h2>
          <GranularityPicker value={granularity} onChange={setGranularity} />
        </div>
        {usageError && <ErrorMessage text={usageError} />}
        {usage ? <UsageChart usage={usage} label={granularity === 'hour' ? 'Last 24 hours' : 'Last 30 days'} /> : !usageError && <Loading what="usage" />}
      </section>
      <KeyDialogs
        dialog={dialog}
        setDialog={setDialog}
        onChanged={(changed) => {
          if (changed) setKey(changed);
          else navigate('keys');
        }}
      />
    </>
  );
}
