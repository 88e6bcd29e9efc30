import { useState } from 'preact/hooks';
import { api, unwrap, type Schemas } from '../api';
import { FormDialog } from '../components/form-dialog';
import { useApiCall } from '../components/hooks';
import { Field } from '../components/ui';

export type WebhookEndpoint = Schemas['WebhookEndpointDto'];
export type WebhookEndpointWithSecret = Schemas['WebhookEndpointWithSecretDto'];
export type EventType = WebhookEndpoint['event_types'][number];

/** Every event type, in the contract's order, with what it means. */
export const EVENT_TYPES: [EventType, string][] = [
  ['api_key.created', 'A key was created'],
  ['api_key.updated', 'A key’s name, expiry or restrictions changed'],
  ['api_key.activated', 'A key was activated'],
  ['api_key.deactivated', 'A key was deactivated'],
  ['api_key.regenerated', 'A key got a new secret'],
  ['api_key.revoked', 'A key was revoked'],
  ['api_key.deleted', 'A key was deleted'],
  ['api_key.expiring', 'A key expires in 7 days, and again in 1 day'],
  ['api_key.expired', 'A key has expired'],
  ['api_key.leaked', 'A key was found in public (secret scanning)'],
  ['account.updated', 'The account changed'],
  ['webhook.test', 'A test event you sent'],
];
export const listensToAll = (types: readonly string[]) => EVENT_TYPES.every(([t]) => types.includes(t));

type Props =
  | { mode: 'create'; onCreated: (endpoint: WebhookEndpointWithSecret) => void; onCancel: () => void }
  | { mode: 'edit'; endpoint: WebhookEndpoint; onSaved: (endpoint: WebhookEndpoint) => void; onCancel: () => void };

/** Add endpoint (URL, description, event types) or Edit one. */
export function WebhookFormDialog(props: Props) {
  const editing = props.mode === 'edit' ? props.endpoint : null;
  const [url, setUrl] = useState(editing?.url ?? '');
  const [description, setDescription] = useState(editing?.description ?? '');
  const [all, setAll] = useState(editing ? listensToAll(editing.event_types) : true);
  const [types, setTypes] = useState<EventType[]>(editing && !listensToAll(editing.event_types) ? editing.event_types : []);
  const call = useApiCall();
  const problems = call.problems;

  const submit = () =>
    call.run(async () => {
      // "All events" sends every type: the API's default for a new endpoint, and the way back to it for an edited one.
      const body = { url: url.trim(), description: description.trim() || null, event_types: all ? EVENT_TYPES.map(([t]) => t) : EVENT_TYPES.map(([t]) => t).filter((t) => types.includes(t)) };
      if (props.mode === 'create') {
        const { event_types, ...rest } = body;
        const { data } = await unwrap(api.POST('/v1/webhook-endpoints', { body: all ? rest : { ...rest, event_types } }));
        props.onCreated(data);
      } else {
        const { data } = await unwrap(api.PATCH('/v1/webhook-endpoints/{id}', { params: { path: { id: props.endpoint.id } }, body }));
        props.onSaved(data);
      }
    });

  return (
    <FormDialog title={editing ? 'Edit endpoint' : 'Add endpoint'} submitLabel={editing ? 'Save changes' : 'Add endpoint'} onSubmit={submit} onCancel={props.onCancel} busy={call.busy} error={call.message} wide>
      <Field label="URL" hint="Where Latchkey sends events: an https:// address on the public internet." error={problems.url}>
        {(a) => <input {...a} class="input" type="url" required maxLength={2048} value={url} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="https://hooks.example.com/latchkey" autocomplete="off" spellcheck={false} />}
      </Field>
      <Field label="Description" hint="Optional. What receives these events, for your own reference." error={problems.description}>
        {(a) => <input {...a} class="input" maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} autocomplete="off" />}
      </Field>
      <fieldset class="fieldset">
        <legend>Event types</legend>
        <label class="check">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} /> All events
        </label>
        {!all && (
          <div class="event-types">
            {EVENT_TYPES.map(([type, meaning]) => (
              <label class="check event-type" key={type}>
                <input type="checkbox" checked={types.includes(type)} onChange={(e) => setTypes(e.currentTarget.checked ? [...types, type] : types.filter((t) => t !== type))} />
                <code>{type}</code>
                <span class="muted event-type-meaning">{meaning}</span>
              </label>
            ))}
          </div>
        )}
        {problems.event_types && <p class="field-error">{problems.event_types}</p>}
      </fieldset>
    </FormDialog>
  );
}
