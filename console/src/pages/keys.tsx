import { useEffect, useState } from 'preact/hooks';
import { maskedKey } from '@latchkey/sdk';
import { api, errorText, unwrap, type ApiKey } from '../api';
import { ErrorMessage } from '../components/dialog';
import { DateTime, EnvironmentBadge, ExpirySoon, Loading, Notice, PageHeader, StatusBadge } from '../components/ui';
import { Link } from '../router';
import { useSession } from '../session';
import { KeyActionButtons, KeyDialogs, type KeyDialog } from './key-actions';

type Filters = { environment: '' | 'live' | 'test'; status: '' | 'active' | 'inactive' | 'revoked' | 'expired' };

/** Loads keys page by page with the filters; `replace` puts a changed key in place. */
function useKeys(filters: Filters) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (after?: string) => {
    try {
      const query = { limit: 50, ...(filters.environment && { environment: filters.environment }), ...(filters.status && { status: filters.status }), ...(after && { cursor: after }) };
      const page = await unwrap(api.GET('/v1/api-keys', { params: { query } }));
      setKeys((previous) => (after && previous ? [...previous, ...page.data] : page.data));
      setCursor(page.next_cursor ?? null);
      setError(null);
    } catch (caught) {
      setError(errorText(caught));
      setKeys((previous) => previous ?? []);
    }
  };
  // The current rows stay until the filtered ones arrive, so the table does not flash.
  useEffect(() => void load(), [filters.environment, filters.status]);
  return { keys, cursor, error, reload: () => load(), more: () => cursor && load(cursor) };
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
        {options.map(([value, text]) => (
          <option value={value} key={value}>
            {text}
          </option>
        ))}
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
        <div class="empty">
          <p>{filters.environment || filters.status ? 'No API keys match these filters.' : 'No API keys yet.'}</p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <caption class="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Environment</th>
                <th scope="col">Status</th>
                <th scope="col">Last used</th>
                <th scope="col">Created</th>
                {can('keys:write') && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" class="button" onClick={() => void more()}>
          Load more
        </button>
      )}
      <KeyDialogs dialog={dialog} setDialog={setDialog} onChanged={() => void reload()} />
    </>
  );
}
