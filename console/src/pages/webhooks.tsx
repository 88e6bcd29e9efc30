import { useState } from 'preact/hooks';
import { api, unwrap } from '../api';
import { ErrorMessage } from '../components/dialog';
import { usePaged } from '../components/hooks';
import { DataTable, EmptyState, LoadMore } from '../components/table';
import { DateTime, Loading, Notice, PageHeader } from '../components/ui';
import { Link } from '../router';
import { useSession } from '../session';
import { EndpointActionButtons, EndpointDialogs, OutcomeMessage, useQuickActions, type EndpointDialog } from './webhook-actions';
import { listensToAll, type WebhookEndpoint } from './webhook-form';
import '../styles/webhooks.css';

export function EndpointStatusBadge({ endpoint }: { endpoint: WebhookEndpoint }) {
  return endpoint.status === 'enabled' ? <span class="badge badge-active">Enabled</span> : <span class="badge badge-inactive">Disabled</span>;
}

export function EventTypes({ types }: { types: readonly string[] }) {
  if (listensToAll(types)) return <span>All events</span>;
  return (
    <span class="chips">
      {types.map((t) => (
        <code class="chip" key={t}>
          {t}
        </code>
      ))}
    </span>
  );
}

/** The banner for an endpoint the service turned off itself (410 Gone, or five days of failures). */
export function SystemDisabledBanner({ endpoint }: { endpoint: WebhookEndpoint }) {
  const { can } = useSession();
  if (endpoint.status !== 'disabled' || !endpoint.disabled_reason) return null;
  return (
    <Notice tone="danger">
      <p>
        <strong>Latchkey disabled {endpoint.url}.</strong> {endpoint.disabled_reason} No events are sent to it until it is enabled again
        {can('webhooks:write') ? ': fix the receiver, then choose Enable.' : '.'}
      </p>
    </Notice>
  );
}

export function WebhooksPage() {
  const { can } = useSession();
  const list = usePaged((after) => unwrap(api.GET('/v1/webhook-endpoints', { params: { query: { limit: 50, ...(after && { cursor: after }) } } })), [], { enabled: can('webhooks:read') });
  const { items: endpoints, setItems: setEndpoints, error } = list;
  const [dialog, setDialog] = useState<EndpointDialog | null>(null);
  const replace = (changed: WebhookEndpoint | null, id: string) =>
    setEndpoints((rows) => {
      if (!rows) return rows;
      if (!changed) return rows.filter((e) => e.id !== id);
      return rows.some((e) => e.id === id) ? rows.map((e) => (e.id === id ? changed : e)) : [changed, ...rows];
    });
  const quick = useQuickActions((changed) => replace(changed, changed.id));

  if (!can('webhooks:read')) return <Notice>This session cannot see webhooks.</Notice>;
  const writer = can('webhooks:write');
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Latchkey sends a signed event to your endpoints when a key is created, changed, regenerated, revoked, about to expire or found leaked, so your systems can react."
      >
        {writer && (
          // The dialog's own "Add endpoint" is then the only one a screen reader (or a test) finds.
          <button type="button" class="button button-primary" onClick={() => setDialog({ action: 'create' })} inert={dialog !== null}>
            Add endpoint
          </button>
        )}
      </PageHeader>
      {endpoints?.map((e) => <SystemDisabledBanner endpoint={e} key={e.id} />)}
      <OutcomeMessage outcome={quick.outcome} />
      {error && <ErrorMessage text={error} />}
      {endpoints === null ? (
        <Loading what="webhook endpoints" />
      ) : endpoints.length === 0 ? (
        <EmptyState>
          <p>
            <strong>No endpoints yet.</strong>
          </p>
          <p class="muted">{writer ? 'Add an endpoint to receive events as they happen.' : 'Nobody has added an endpoint to this account.'}</p>
        </EmptyState>
      ) : (
        <DataTable caption="Webhook endpoints" tableClass="table table-webhooks" columns={['Endpoint', 'Events', 'Status', 'Created', 'Deliveries']} actions={writer}>
          {endpoints.map((endpoint) => (
            <tr key={endpoint.id}>
              <th scope="row" class="cell-endpoint">
                <Link to={`webhooks/${endpoint.id}`}>{endpoint.url}</Link>
                {endpoint.description && <span class="endpoint-description">{endpoint.description}</span>}
              </th>
              <td class="cell-events">
                <EventTypes types={endpoint.event_types} />
              </td>
              <td class="cell-status">
                <EndpointStatusBadge endpoint={endpoint} />
                {endpoint.disabled_reason && <span class="disabled-reason">{endpoint.disabled_reason}</span>}
              </td>
              <td>
                <DateTime iso={endpoint.created_at} stacked />
              </td>
              <td>
                <Link to={`webhooks/${endpoint.id}`}>View deliveries</Link>
              </td>
              {writer && (
                <td class="cell-actions">
                  <EndpointActionButtons endpoint={endpoint} open={setDialog} quick={quick} />
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      )}
      <LoadMore cursor={list.cursor} onMore={list.more} />
      <EndpointDialogs dialog={dialog} setDialog={setDialog} onChanged={replace} />
    </>
  );
}
