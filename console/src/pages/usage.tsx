import { useEffect, useState } from 'preact/hooks';
import { maskedKey } from '@latchkey/sdk';
import { api, errorText, unwrap, type ApiKey, type Schemas } from '../api';
import { ErrorMessage } from '../components/dialog';
import { Field, Loading, Notice, PageHeader } from '../components/ui';
import { UsageChart, usageTotals } from '../components/usage-chart';
import { formatNumber } from '../format';
import { Link } from '../router';
import { useSession } from '../session';
import { GranularityPicker, useUsage, type Granularity } from './key-detail';

const SUMMARY_KEYS = 20;

/** Usage across keys: a chart for the chosen key and a table of every key's totals for the period. */
export function UsagePage() {
  const { can } = useSession();
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [granularity, setGranularity] = useState<Granularity>('hour');
  const [summary, setSummary] = useState<Map<string, Schemas['UsageDto']>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const { usage, error: usageError } = useUsage(selected, granularity);

  useEffect(() => {
    unwrap(api.GET('/v1/api-keys', { params: { query: { limit: 100 } } })).then(
      (page) => {
        setKeys(page.data);
        setSelected((current) => current ?? page.data[0]?.id ?? null);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, []);
  useEffect(() => {
    if (!keys) return;
    const shown = keys.slice(0, SUMMARY_KEYS);
    Promise.all(shown.map((k) => unwrap(api.GET('/v1/api-keys/{id}/usage', { params: { path: { id: k.id }, query: { granularity } } })))).then(
      (answers) => setSummary(new Map(answers.map((a) => [a.data.key_id, a.data]))),
      (e: unknown) => setError(errorText(e)),
    );
  }, [keys, granularity]);

  if (!can('keys:read')) return <Notice>This session cannot see API keys or their usage.</Notice>;
  return (
    <>
      <PageHeader title="Usage" description="Requests made with each key, by status class. Console requests are not counted." />
      {error && <ErrorMessage text={error} />}
      {keys === null ? (
        !error && <Loading what="keys" />
      ) : keys.length === 0 ? (
        <div class="empty">
          <p>No API keys yet, so no usage.</p>
        </div>
      ) : (
        <>
          <section class="card" aria-labelledby="usage-chart">
            <div class="card-header">
              <h2 id="usage-chart">Requests</h2>
              <GranularityPicker value={granularity} onChange={setGranularity} />
            </div>
            <Field label="Key">
              {(a) => (
                <select {...a} class="input input-inline" value={selected ?? ''} onChange={(e) => setSelected(e.currentTarget.value)}>
                  {keys.map((k) => (
                    <option value={k.id} key={k.id}>
                      {k.name} ({maskedKey(k)})
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {usageError && <ErrorMessage text={usageError} />}
            {usage ? <UsageChart usage={usage} label={keys.find((k) => k.id === selected)?.name ?? 'This key'} /> : !usageError && <Loading what="usage" />}
          </section>
          <section class="card" aria-labelledby="usage-summary">
            <h2 id="usage-summary">Totals, {granularity === 'hour' ? 'last 24 hours' : 'last 30 days'}</h2>
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col" class="num">Successful (2xx)</th>
                    <th scope="col" class="num">Refused (4xx)</th>
                    <th scope="col" class="num">Failed (5xx)</th>
                    <th scope="col" class="num">Total</th>
                  </tr>
                </thead>
                <tbody>
                  {keys.slice(0, SUMMARY_KEYS).map((k) => {
                    const u = summary.get(k.id);
                    const t = u && usageTotals(u);
                    return (
                      <tr key={k.id}>
                        <th scope="row">
                          <Link to={`keys/${k.id}`}>{k.name}</Link> <code class="masked">{maskedKey(k)}</code>
                        </th>
                        <td class="num">{t ? formatNumber(t.count_2xx) : '…'}</td>
                        <td class="num">{t ? formatNumber(t.count_4xx) : '…'}</td>
                        <td class="num">{t ? formatNumber(t.count_5xx) : '…'}</td>
                        <td class="num">{t ? formatNumber(t.total) : '…'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </section>
        </>
      )}
    </>
  );
}
