import { useState } from 'preact/hooks';
import { maskedKey } from '@latchkey/sdk';
import { api, unwrap } from '../api';
import { ErrorMessage } from '../components/dialog';
import { usePaged } from '../components/hooks';
import { DataTable, EmptyState, LoadMore } from '../components/table';
import { DateTime, EnvironmentBadge, ExpirySoon, Loading, Notice, Options, PageHeader, StatusBadge } from '../components/ui';
import { Link } from '../router';
import { useSession } from '../session';
import { KeyActionButtons, KeyDialogs, type KeyDialog } from './key-actions';

type Filters = { environment: '' | 'live' | 'test'; status: '' | 'active' | 'inactive' | 'revoked' | 'expired' };

/** Loads keys page by page with the filters; the current rows stay until the filtered ones arrive, so the table does not flash. */
function useKeys(filters: Filters) {
  const list = usePaged((after) => {
    const query = { limit: 50, ...(filters.environment && { environment: filters.environment }), ...(filters.status && { status: filters.status }), ...(after && { cursor: after }) };
    return unwrap(api.GET('/v1/api-keys', { params: { query } }));
  }, [filters.environment, filters.status]);
  return { ...list, keys: list.items };
}

export function KeysPage() {
  const { can } = useSession();
  const [filters, setFilters] = useState<Filters>({ environment: '', status: '' });
  const { keys, cursor, error, reload, more } = useKeys(filters);
  const [dialog, setDialog] = useState<KeyDialog | null>(null);

  if (!can('keys:read')) return <Notice>This session cannot see API keys.</Notice>;
  // While a dialog is open its fields are the page's only labelled controls (the filters behind it are inert).
  const labelled = dialog === null;
  const filter = <K extends keyof Filters>(name: K, label: string, options: [Filters[K], string][]) => (
    <div class="filter">
      {labelled ? <label for={`filter-${name}`}>{label}</label> : <span aria-hidden="true">{label}</span>}
      <select id={`filter-${name}`} class="input input-small" value={filters[name]} onChange={(e) => setFilters({ ...filters, [name]: e.currentTarget.value })}>
        <Options items={options} />
      </select>
    </div>
  );

  return (
    <>
      <PageHeader title="API Keys" description="Keys authenticate your requests to the API. Only the prefix and last four characters of a key are shown here.">
        {can('keys:write') && (
          <button type="button" class="button button-primary" onClick={() => setDialog({ action: 'create' })}>
            Create API Key
          </button>
        )}
      </PageHeader>
      <div class="toolbar" role="group" aria-label="Filters">
        {filter('environment', 'Environment', [['', 'All'], ['live', 'Live'], ['test', 'Test']])}
        {filter('status', 'Status', [['', 'All'], ['active', 'Active'], ['inactive', 'Inactive'], ['revoked', 'Revoked'], ['expired', 'Expired']])}
      </div>
      {error && <ErrorMessage text={error} />}
      {keys === null ? (
        <Loading what="API keys" />
      ) : keys.length === 0 ? (
        <EmptyState>
          <p>{filters.environment || filters.status ? 'No API keys match these filters.' : 'No API keys yet.'}</p>
        </EmptyState>
      ) : (
        <DataTable caption="API keys" columns={['Name', 'Key', 'Environment', 'Status', 'Last used', 'Created']} actions={can('keys:write')}>
          {keys.map((key) => (
            <tr key={key.id}>
              <th scope="row" class="cell-name">
                <Link to={`keys/${key.id}`}>{key.name}</Link>
              </th>
              <td>
                <code class="masked">{maskedKey(key)}</code>
              </td>
              <td>
                <EnvironmentBadge environment={key.environment} />
              </td>
              <td class="cell-status">
                <StatusBadge status={key.status} />
                <ExpirySoon apiKey={key} />
              </td>
              <td>
                <DateTime iso={key.last_used_at} empty="Never" stacked />
              </td>
              <td>
                <DateTime iso={key.created_at} stacked />
              </td>
              {can('keys:write') && (
                <td class="cell-actions">
                  <KeyActionButtons apiKey={key} open={setDialog} />
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      )}
      <LoadMore cursor={cursor} onMore={more} />
      <KeyDialogs dialog={dialog} setDialog={setDialog} onChanged={() => void reload()} />
    </>
  );
}
