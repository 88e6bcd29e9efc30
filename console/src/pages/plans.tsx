import { useEffect, useState } from 'preact/hooks';
import { api, errorText, unwrap, type Plan } from '../api';
import { ErrorMessage } from '../components/dialog';
import { FormDialog } from '../components/form-dialog';
import { useApiCall } from '../components/hooks';
import { DataTable } from '../components/table';
import { Field, Loading, PageHeader } from '../components/ui';
import { formatNumber } from '../format';

export function usePlans() {
  const [plans, setPlans] = useState<Plan[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () =>
    unwrap(api.GET('/v1/admin/plans')).then(
      (r) => setPlans(r.data),
      (e: unknown) => setError(errorText(e)),
    );
  useEffect(() => void reload(), []);
  return { plans, error, reload };
}

function PlanDialog({ plan, onDone, onCancel }: { plan: Plan | null; onDone: () => void; onCancel: () => void }) {
  const [form, setForm] = useState({
    slug: plan?.slug ?? '',
    name: plan?.name ?? '',
    api_access: plan?.api_access ?? true,
    max_keys: plan ? (plan.max_keys === null ? '' : String(plan.max_keys)) : '5',
    per_minute: String(plan?.rate_limit_per_minute ?? 60),
    per_hour: String(plan?.rate_limit_per_hour ?? 1000),
  });
  const call = useApiCall();
  const problems = call.problems;
  const text = (name: keyof typeof form) => (e: Event) => setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value });
  const submit = () =>
    call.run(async () => {
      const body = {
        name: form.name.trim(),
        api_access: form.api_access,
        max_keys: form.max_keys.trim() === '' ? null : Number(form.max_keys),
        rate_limit_per_minute: Number(form.per_minute),
        rate_limit_per_hour: Number(form.per_hour),
      };
      if (plan) await unwrap(api.PATCH('/v1/admin/plans/{slug}', { params: { path: { slug: plan.slug } }, body }));
      else await unwrap(api.POST('/v1/admin/plans', { body: { ...body, slug: form.slug.trim() } }));
      onDone();
    });
  return (
    <FormDialog title={plan ? `Edit ${plan.name}` : 'Create plan'} submitLabel={plan ? 'Save changes' : 'Create'} onSubmit={submit} onCancel={onCancel} busy={call.busy} error={call.message}>
      {!plan && <Field label="Slug" hint="Lowercase letters, digits and dashes, such as team." error={problems.slug}>{(a) => <input {...a} class="input" value={form.slug} onInput={text('slug')} />}</Field>}
      <Field label="Name" error={problems.name}>{(a) => <input {...a} class="input" value={form.name} onInput={text('name')} />}</Field>
      <div class="field field-inline">
        <input id="plan-api-access" type="checkbox" checked={form.api_access} onChange={(e) => setForm({ ...form, api_access: e.currentTarget.checked })} />
        <label for="plan-api-access">API access</label>
      </div>
      <Field label="Maximum keys" hint="Leave empty for unlimited." error={problems.max_keys}>{(a) => <input {...a} class="input" type="number" min={0} value={form.max_keys} onInput={text('max_keys')} />}</Field>
      <Field label="Requests per minute" error={problems.rate_limit_per_minute}>{(a) => <input {...a} class="input" type="number" min={1} value={form.per_minute} onInput={text('per_minute')} />}</Field>
      <Field label="Requests per hour" error={problems.rate_limit_per_hour}>{(a) => <input {...a} class="input" type="number" min={1} value={form.per_hour} onInput={text('per_hour')} />}</Field>
    </FormDialog>
  );
}

export function PlansPage() {
  const { plans, error, reload } = usePlans();
  const [editing, setEditing] = useState<Plan | 'new' | null>(null);
  const done = () => {
    setEditing(null);
    void reload();
  };
  return (
    <>
      <PageHeader title="Plans" description="What each plan includes. Accounts on a plan without API access can use the console but not the API.">
        <button type="button" class="button button-primary" onClick={() => setEditing('new')}>
          Create plan
        </button>
      </PageHeader>
      {error && <ErrorMessage text={error} />}
      {!plans ? (
        !error && <Loading what="plans" />
      ) : (
        <DataTable caption="Plans" columns={['Name', 'Slug', 'API access', ['Maximum keys', 'num'], ['Per minute', 'num'], ['Per hour', 'num']]} actions>
          {plans.map((plan) => (
            <tr key={plan.slug}>
              <th scope="row">{plan.name}</th>
              <td>
                <code>{plan.slug}</code>
              </td>
              <td>{plan.api_access ? 'Yes' : 'No'}</td>
              <td class="num">{plan.max_keys === null ? 'Unlimited' : formatNumber(plan.max_keys)}</td>
              <td class="num">{formatNumber(plan.rate_limit_per_minute)}</td>
              <td class="num">{formatNumber(plan.rate_limit_per_hour)}</td>
              <td>
                <button type="button" class="button button-small" onClick={() => setEditing(plan)}>
                  Edit
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {editing && <PlanDialog plan={editing === 'new' ? null : editing} onDone={done} onCancel={() => setEditing(null)} />}
    </>
  );
}
