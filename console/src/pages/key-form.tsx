import { useState } from 'preact/hooks';
import { api, unwrap, type ApiKey, type ApiKeyWithSecret } from '../api';
import { FormDialog } from '../components/form-dialog';
import { useApiCall } from '../components/hooks';
import { Field } from '../components/ui';
import { endOfDay, toDateInput, toList } from '../format';
import { CUSTOMER_SCOPES, useSession, type Scope } from '../session';

type Props =
  | { mode: 'create'; onCreated: (key: ApiKeyWithSecret) => void; onCancel: () => void }
  | { mode: 'edit'; apiKey: ApiKey; onSaved: (key: ApiKey) => void; onCancel: () => void };

/** Create (Name, Environment, Expiration date, Active, scopes, restrictions) or Edit (name, expiry, restrictions). */
export function KeyFormDialog(props: Props) {
  const { session, can } = useSession();
  const editing = props.mode === 'edit' ? props.apiKey : null;
  const [name, setName] = useState(editing?.name ?? '');
  const [environment, setEnvironment] = useState<'live' | 'test'>('live');
  const [expires, setExpires] = useState(toDateInput(editing?.expires_at));
  const [active, setActive] = useState(true);
  const holdsAll = session.scopes.includes('*');
  const grantable = CUSTOMER_SCOPES.filter((s) => can(s));
  const [allScopes, setAllScopes] = useState(holdsAll);
  const [scopes, setScopes] = useState<Scope[]>(holdsAll ? [] : grantable);
  const [ips, setIps] = useState((editing?.allowed_ips ?? []).join('\n'));
  const [referrers, setReferrers] = useState((editing?.allowed_referrers ?? []).join('\n'));
  const call = useApiCall();
  const problems = call.problems;

  const submit = () =>
    call.run(async () => {
      const restrictions = { allowed_ips: toList(ips), allowed_referrers: toList(referrers) };
      if (props.mode === 'create') {
        const body = { name: name.trim(), environment, active, ...restrictions, ...(expires ? { expires_at: endOfDay(expires)! } : {}), ...(allScopes ? {} : { scopes }) };
        const { data } = await unwrap(api.POST('/v1/api-keys', { body }));
        props.onCreated(data);
      } else {
        const body = { name: name.trim(), expires_at: endOfDay(expires), ...restrictions };
        const { data } = await unwrap(api.PATCH('/v1/api-keys/{id}', { params: { path: { id: props.apiKey.id } }, body }));
        props.onSaved(data);
      }
    });

  return (
    <FormDialog title={editing ? `Edit ${editing.name}` : 'Create API Key'} submitLabel={editing ? 'Save changes' : 'Create'} onSubmit={submit} onCancel={props.onCancel} busy={call.busy} error={call.message} wide>
      <Field label="Name" hint="A descriptive name, such as “Production API Key”." error={problems.name}>
        {(a) => <input {...a} class="input" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} autocomplete="off" />}
      </Field>
      {!editing && (
        <Field label="Environment" hint="Test keys see and manage only test keys, and do not count toward the plan's live limits." error={problems.environment}>
          {(a) => (
            <select {...a} class="input" value={environment} onChange={(e) => setEnvironment(e.currentTarget.value as 'live' | 'test')}>
              <option value="live">Live</option>
              <option value="test">Test</option>
            </select>
          )}
        </Field>
      )}
      <Field label="Expiration date" hint="Optional. The key stops working at the end of this day." error={problems.expires_at}>
        {(a) => <input {...a} class="input" type="date" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />}
      </Field>
      {!editing && (
        <div class="field field-inline">
          <input id="key-active" class="switch" type="checkbox" role="switch" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
          <label for="key-active">Active</label>
        </div>
      )}
      {!editing && (
        <fieldset class="fieldset">
          <legend>Scopes</legend>
          {holdsAll && (
            <label class="check">
              <input type="checkbox" checked={allScopes} onChange={(e) => setAllScopes(e.currentTarget.checked)} /> All scopes
            </label>
          )}
          {!allScopes && (
            <div class="check-grid">
              {grantable.map((scope) => (
                <label class="check" key={scope}>
                  <input type="checkbox" checked={scopes.includes(scope)} onChange={(e) => setScopes(e.currentTarget.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))} />{' '}
                  <code>{scope}</code>
                </label>
              ))}
            </div>
          )}
          {problems.scopes && <p class="field-error">{problems.scopes}</p>}
        </fieldset>
      )}
      <Field label="Allowed IPs" hint="Optional. One IP address or CIDR range per line (IPv4 or IPv6)." error={problems.allowed_ips}>
        {(a) => <textarea {...a} class="input" rows={2} value={ips} onInput={(e) => setIps(e.currentTarget.value)} spellcheck={false} />}
      </Field>
      <Field label="Allowed referrers" hint="Optional. One origin pattern per line, such as https://*.example.com." error={problems.allowed_referrers}>
        {(a) => <textarea {...a} class="input" rows={2} value={referrers} onInput={(e) => setReferrers(e.currentTarget.value)} spellcheck={false} />}
      </Field>
    </FormDialog>
  );
}
