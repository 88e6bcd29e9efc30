import { useEffect, useState } from 'preact/hooks';
import { api, errorText, unwrap } from '../api';
import { ErrorMessage } from '../components/dialog';
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
  const [endpoints, setEndpoints] = useState<WebhookEndpoint[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<EndpointDialog | null>(null);
  const load = async (after?: string) => {
    try {
      const page = await unwrap(api.GET('/v1/webhook-endpoints', { params: { query: { limit: 50, ...(after && { cursor: after }) } } }));
      setEndpoints((previous) => (after && previous ? [...previous, ...page.data] : page.data));
      setCursor(page.next_cursor ?? null);
      setError(null);
    } catch (caught) {
      setError(errorText(caught));
      setEndpoints((previous) => previous ?? []);
    }
  };
  const replace = (changed: WebhookEndpoint | null, id: string) =>
    setEndpoints((list) => {
      if (!list) return list;
      if (!changed) return list.filter((e) => e.id !== id);
      return list.some((e) => e.id === id) ? list.map((e) => (e.id === id ? changed : e)) : [changed, ...list];
    });
  const quick = useQuickActions((changed) => replace(changed, changed.id));
  useEffect(() => void (can('webhooks:read') && load()), []);

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
        <div class="empty">
          <p>
            <strong>No endpoints yet.</strong>
          </p>
          <p class="muted">{writer ? 'Add an endpoint to receive events as they happen.' : 'Nobody has added an endpoint to this account.'}</p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="table table-webhooks">
            <caption class="visually-hidden">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Deliveries</th>
                {writer && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" class="button" onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
      <EndpointDialogs dialog={dialog} setDialog={setDialog} onChanged={replace} />
    </>
  );
}
