import type { TargetedEvent, TargetedKeyboardEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { paths } from '@latchkey/sdk';
import { api, unwrap, type ApiKey, type AuditEvent, type Schemas } from '../api';
import { ErrorMessage } from '../components/dialog';
import { useApiCall, usePaged } from '../components/hooks';
import { DataTable, EmptyState, LoadMore } from '../components/table';
import { DateTime, Field, Loading, Notice, Options, PageHeader } from '../components/ui';
import { startOfDay } from '../format';
import { useSession } from '../session';

type AuditAction = Schemas['AuditAction'];
type ActorType = NonNullable<NonNullable<paths['/v1/audit-events']['get']['parameters']['query']>['actor_type']>;
const ACTIONS: AuditAction[] = [
  'api_key.created', 'api_key.updated', 'api_key.activated', 'api_key.deactivated', 'api_key.regenerated', 'api_key.revoked', 'api_key.deleted',
  'auth.failed', 'account.created', 'account.updated', 'plan.created', 'plan.updated', 'portal_session.created', 'portal_session.redeemed', 'portal_session.ended',
];
const ACTOR_TYPES: [string, string][] = [['api_key', 'API key'], ['user', 'User'], ['operator', 'Operator'], ['system', 'System']];
const ACTOR_LABEL = Object.fromEntries(ACTOR_TYPES);

interface Filters {
  action: string;
  actor_type: string;
  key_id: string;
  since: string;
  until: string;
}
const EMPTY: Filters = { action: '', actor_type: '', key_id: '', since: '', until: '' };

/** The filters as the API's query: dates are whole days in the viewer's zone, `until` exclusive of the next day. */
function toQuery(f: Filters) {
  const query: { action?: AuditAction; actor_type?: ActorType; key_id?: string; since?: string; until?: string } = {};
  if (f.action) query.action = f.action as AuditAction;
  if (f.actor_type) query.actor_type = f.actor_type as ActorType;
  if (f.key_id) query.key_id = f.key_id.trim();
  if (f.since) query.since = startOfDay(f.since)!;
  if (f.until) query.until = new Date(Date.parse(startOfDay(f.until)!) + 86_400_000).toISOString();
  return query;
}

function Actor({ actor }: { actor: AuditEvent['actor'] }) {
  return (
    <span>
      {ACTOR_LABEL[actor.type] ?? actor.type} <code>{actor.id}</code>
    </span>
  );
}

export function AuditPage() {
  const { can } = useSession();
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const list = usePaged((after) => unwrap(api.GET('/v1/audit-events', { params: { query: { ...toQuery(filters), limit: 50, ...(after ? { cursor: after } : {}) } } })), [filters], { clearOnChange: true });
  const events = list.items;
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [verdict, setVerdict] = useState<Schemas['AuditVerifyDto'] | null>(null);
  const verification = useApiCall();

  useEffect(() => {
    if (can('keys:read')) unwrap(api.GET('/v1/api-keys', { params: { query: { limit: 100 } } })).then((p) => setKeys(p.data), () => undefined);
  }, []);

  const error = verification.message ?? list.error;
  if (!can('audit:read')) return <Notice>This session cannot read the audit log.</Notice>;
  const verify = () =>
    verification.run(async () => {
      setVerdict((await unwrap(api.GET('/v1/audit-events/verify'))).data);
    });
  const exportUrl = (format: 'csv' | 'ndjson') => `/v1/audit-events/export?${new URLSearchParams({ ...(toQuery(filters) as Record<string, string>), format })}`;
  // Downloads go straight through the browser with the session cookie; Space activates them like a button.
  const onKey = (event: TargetedKeyboardEvent<HTMLAnchorElement>) => {
    if (event.key === ' ') {
      event.preventDefault();
      event.currentTarget.click();
    }
  };
  const set = (name: keyof Filters) => (e: TargetedEvent<HTMLInputElement | HTMLSelectElement>) => setFilters({ ...filters, [name]: e.currentTarget.value });

  return (
    <>
      <PageHeader title="Audit log" description="Every change to your keys and account, with who made it. Each event is chained to the one before it by a hash, so a changed or removed event is detected.">
        <a role="button" class="button" href={exportUrl('csv')} download="audit-events.csv" onKeyDown={onKey}>
          Export CSV
        </a>
        <a role="button" class="button" href={exportUrl('ndjson')} download="audit-events.ndjson" onKeyDown={onKey}>
          Export NDJSON
        </a>
        <button type="button" class="button button-primary" onClick={() => void verify()} disabled={verification.busy}>
          Verify
        </button>
      </PageHeader>
      {verdict && (
        <div class={verdict.ok ? 'notice notice-success' : 'notice notice-danger'} role="status">
          {verdict.ok
            ? `Chain verified: ${verdict.checked} events checked, every link intact.`
            : `Chain broken: ${verdict.checked} events checked; the first broken event is ${verdict.first_broken_event_id}.`}
        </div>
      )}
      <form class="toolbar toolbar-wrap" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="Action">
          {(a) => (
            <select {...a} class="input input-small" value={filters.action} onChange={set('action')}>
              <option value="">All actions</option>
              <Options items={ACTIONS} />
            </select>
          )}
        </Field>
        <Field label="Actor type">
          {(a) => (
            <select {...a} class="input input-small" value={filters.actor_type} onChange={set('actor_type')}>
              <option value="">Anyone</option>
              <Options items={ACTOR_TYPES} />
            </select>
          )}
        </Field>
        <Field label="Key">
          {(a) =>
            keys.length ? (
              <select {...a} class="input input-small" value={filters.key_id} onChange={set('key_id')}>
                <option value="">All keys</option>
                <Options items={keys.map((k) => [k.id, k.name] as const)} />
              </select>
            ) : (
              <input {...a} class="input input-small" placeholder="key_…" value={filters.key_id} onChange={set('key_id')} />
            )
          }
        </Field>
        <Field label="From">{(a) => <input {...a} class="input input-small" type="date" value={filters.since} onChange={set('since')} />}</Field>
        <Field label="To">{(a) => <input {...a} class="input input-small" type="date" value={filters.until} onChange={set('until')} />}</Field>
      </form>
      {error && <ErrorMessage text={error} />}
      {events === null ? (
        <Loading what="events" />
      ) : events.length === 0 ? (
        <EmptyState>
          <p>No events match these filters.</p>
        </EmptyState>
      ) : (
        <DataTable caption="Audit events" columns={['Time', 'Action', 'Actor', 'Target', 'IP']}>
          {events.map((event) => (
            <tr key={event.id}>
              <td>
                <DateTime iso={event.occurred_at} />
              </td>
              <td>
                <code>{event.action}</code>
              </td>
              <td>
                <Actor actor={event.actor} />
              </td>
              <td>
                <span class="muted">{event.target.type}</span> <code>{event.target.id}</code>
              </td>
              <td>{event.ip ? <code>{event.ip}</code> : <span class="muted">—</span>}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <LoadMore cursor={list.cursor} onMore={list.more} />
    </>
  );
}
