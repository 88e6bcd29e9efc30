import type { TargetedEvent, TargetedKeyboardEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { paths } from '@latchkey/sdk';
import { api, errorText, unwrap, type ApiKey, type AuditEvent, type Schemas } from '../api';
import { ErrorMessage } from '../components/dialog';
import { DateTime, Field, Loading, Notice, PageHeader } from '../components/ui';
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
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [verdict, setVerdict] = useState<Schemas['AuditVerifyDto'] | null>(null);
  const [verifying, setVerifying] = useState(false);

  const load = async (after?: string) => {
    try {
      const query = { ...toQuery(filters), limit: 50, ...(after ? { cursor: after } : {}) };
      const page = await unwrap(api.GET('/v1/audit-events', { params: { query } }));
      setEvents((previous) => (after && previous ? [...previous, ...page.data] : page.data));
      setCursor(page.next_cursor ?? null);
      setError(null);
    } catch (caught) {
      setError(errorText(caught));
      setEvents((previous) => previous ?? []);
    }
  };
  useEffect(() => {
    setEvents(null);
    void load();
  }, [filters]);
  useEffect(() => {
    if (can('keys:read')) unwrap(api.GET('/v1/api-keys', { params: { query: { limit: 100 } } })).then((p) => setKeys(p.data), () => undefined);
  }, []);

  if (!can('audit:read')) return <Notice>This session cannot read the audit log.</Notice>;
  const verify = async () => {
    setVerifying(true);
    try {
      setVerdict((await unwrap(api.GET('/v1/audit-events/verify'))).data);
    } catch (caught) {
      setError(errorText(caught));
    }
    setVerifying(false);
  };
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
        <button type="button" class="button button-primary" onClick={() => void verify()} disabled={verifying}>
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
              {ACTIONS.map((action) => (
                <option value={action} key={action}>
                  {action}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Actor type">
          {(a) => (
            <select {...a} class="input input-small" value={filters.actor_type} onChange={set('actor_type')}>
              <option value="">Anyone</option>
              {ACTOR_TYPES.map(([value, label]) => (
                <option value={value} key={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Key">
          {(a) =>
            keys.length ? (
              <select {...a} class="input input-small" value={filters.key_id} onChange={set('key_id')}>
                <option value="">All keys</option>
                {keys.map((k) => (
                  <option value={k.id} key={k.id}>
                    {k.name}
                  </option>
                ))}
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
        <div class="empty">
          <p>No events match these filters.</p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <caption class="visually-hidden">Audit events</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">IP</th>
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" class="button" onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
    </>
  );
}
