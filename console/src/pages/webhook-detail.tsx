import { useEffect, useState } from 'preact/hooks';
import { api, errorText, unwrap, type Schemas } from '../api';
import { ErrorMessage } from '../components/dialog';
import { useApiCall, usePaged } from '../components/hooks';
import { DataTable, LoadMore } from '../components/table';
import { DateTime, Loading, PageHeader } from '../components/ui';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { EndpointActionButtons, EndpointDialogs, OutcomeMessage, useQuickActions, type EndpointDialog } from './webhook-actions';
import type { WebhookEndpoint } from './webhook-form';
import { EndpointStatusBadge, EventTypes, SystemDisabledBanner } from './webhooks';

type Delivery = Schemas['WebhookDeliveryDto'];
const DELIVERY_LABEL: Record<Delivery['status'], string> = { pending: 'Pending', succeeded: 'Succeeded', failed: 'Failed', exhausted: 'Exhausted' };
/** While a delivery waits for an attempt due now, the list refreshes itself this often. */
const REFRESH_MS = 2_000;

/** An endpoint's deliveries, newest first; refreshed while one is about to be attempted. */
function useDeliveries(id: string) {
  const list = usePaged((after) => unwrap(api.GET('/v1/webhook-endpoints/{id}/deliveries', { params: { path: { id }, query: { limit: 50, ...(after && { cursor: after }) } } })), [id]);
  const { items: deliveries, setItems: setDeliveries } = list;
  const waiting = deliveries?.some((d) => d.status === 'pending' || (d.status === 'failed' && d.next_attempt_at && Date.parse(d.next_attempt_at) - Date.now() < 30_000));
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(() => void list.reload(), REFRESH_MS);
    return () => clearTimeout(timer);
  }, [deliveries]);
  return { ...list, deliveries, replace: (d: Delivery) => setDeliveries((rows) => rows?.map((x) => (x.id === d.id ? d : x)) ?? null) };
}

export function WebhookDetailPage({ id }: { id: string }) {
  const { can } = useSession();
  const [endpoint, setEndpoint] = useState<WebhookEndpoint | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<EndpointDialog | null>(null);
  const deliveries = useDeliveries(id);
  const quick = useQuickActions(setEndpoint, () => void deliveries.reload());
  const retrying = useApiCall();
  useEffect(() => {
    unwrap(api.GET('/v1/webhook-endpoints/{id}', { params: { path: { id } } })).then(
      (r) => setEndpoint(r.data),
      (e: unknown) => setError(errorText(e)),
    );
  }, [id]);

  const retry = (delivery: Delivery) =>
    retrying.run(async () => {
      const { data } = await unwrap(api.POST('/v1/webhook-deliveries/{id}/retry', { params: { path: { id: delivery.id } } }));
      deliveries.replace(data);
    });

  if (error) return <ErrorMessage text={error} />;
  if (!endpoint) return <Loading what="the endpoint" />;
  const writer = can('webhooks:write');
  const list = deliveries.deliveries;
  return (
    <>
      <p class="breadcrumb">
        <Link to="webhooks">Webhooks</Link> <span aria-hidden="true">/</span>
      </p>
      <PageHeader title="Webhook endpoint" description={<code class="endpoint-url">{endpoint.url}</code>}>
        <EndpointActionButtons endpoint={endpoint} open={setDialog} quick={quick} />
      </PageHeader>
      <SystemDisabledBanner endpoint={endpoint} />
      <OutcomeMessage outcome={quick.outcome} />
      <section class="card" aria-labelledby="endpoint-details">
        <h2 id="endpoint-details">Details</h2>
        <dl class="details">
          <dt>URL</dt>
          <dd>
            <code class="endpoint-url">{endpoint.url}</code>
          </dd>
          <dt>Description</dt>
          <dd>{endpoint.description || <span class="muted">None</span>}</dd>
          <dt>Events</dt>
          <dd>
            <EventTypes types={endpoint.event_types} />
          </dd>
          <dt>Status</dt>
          <dd>
            <EndpointStatusBadge endpoint={endpoint} />
            {endpoint.disabled_reason && <span class="disabled-reason disabled-reason-inline">{endpoint.disabled_reason}</span>}
          </dd>
          <dt>Created</dt>
          <dd>
            <DateTime iso={endpoint.created_at} />
          </dd>
          <dt>Updated</dt>
          <dd>
            <DateTime iso={endpoint.updated_at} />
          </dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="endpoint-deliveries">
        <div class="card-header">
          <h2 id="endpoint-deliveries">Deliveries</h2>
          <button type="button" class="button button-small" onClick={() => void deliveries.reload()}>
            Refresh
          </button>
        </div>
        {deliveries.error && <ErrorMessage text={deliveries.error} />}
        {retrying.message && <ErrorMessage text={retrying.message} />}
        {list === null ? (
          <Loading what="deliveries" />
        ) : list.length === 0 ? (
          <p class="muted">No deliveries yet. Events that happen from now on, and test events, are listed here.</p>
        ) : (
          <DataTable caption="Deliveries to this endpoint, newest first" columns={['Event', 'Status', ['Attempts', 'num'], 'Response', 'Last attempt', 'Next attempt']} actions={writer}>
            {list.map((d) => (
              <tr key={d.id}>
                <th scope="row">
                  <code>{d.event_type}</code>
                  <span class="event-id">{d.event_id}</span>
                </th>
                <td>
                  <span class={`badge badge-delivery-${d.status}`}>{DELIVERY_LABEL[d.status]}</span>
                </td>
                <td class="num">{d.attempts}</td>
                <td>{d.response_status ?? <span class="muted">—</span>}</td>
                <td>
                  <DateTime iso={d.last_attempt_at} stacked />
                </td>
                <td>
                  <DateTime iso={d.next_attempt_at} stacked />
                </td>
                {writer && (
                  <td class="cell-retry">
                    {(d.status === 'failed' || d.status === 'exhausted') && (
                      <button type="button" class="button button-small" onClick={() => void retry(d)} disabled={endpoint.status !== 'enabled'}>
                        Retry
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </DataTable>
        )}
        <LoadMore cursor={deliveries.cursor} onMore={deliveries.more} />
      </section>
      <EndpointDialogs
        dialog={dialog}
        setDialog={setDialog}
        onChanged={(changed) => {
          if (changed) setEndpoint(changed);
          else navigate('webhooks');
        }}
      />
    </>
  );
}
