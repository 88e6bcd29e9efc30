import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { expirySoon, formatDateTime } from '../format';

export function PageHeader({ title, children, description }: { title: string; children?: ComponentChildren; description?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1 tabIndex={-1}>{title}</h1>
        {description && <p class="page-description">{description}</p>}
      </div>
      {children && <div class="page-actions">{children}</div>}
    </header>
  );
}

const STATUS_LABEL: Record<string, string> = { active: 'Active', inactive: 'Inactive', revoked: 'Revoked', expired: 'Expired', suspended: 'Suspended' };
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}
/** "expires in N days" beside a key that still works and expires within a week (days in the viewer's zone). */
export function ExpirySoon({ apiKey }: { apiKey: { status: string; expires_at?: string | null } }) {
  const text = apiKey.status === 'active' || apiKey.status === 'inactive' ? expirySoon(apiKey.expires_at) : null;
  return text ? <span class="expiry-soon">{text}</span> : null;
}
export function EnvironmentBadge({ environment }: { environment: string }) {
  return <span class={`badge badge-env-${environment}`}>{environment === 'live' ? 'Live' : 'Test'}</span>;
}

/** A moment in the viewer's zone; `stacked` puts the time under the date (tables), reading the same. */
export function DateTime({ iso, empty = '—', stacked }: { iso: string | null | undefined; empty?: string; stacked?: boolean }) {
  if (!iso) return <span class="muted">{empty}</span>;
  const text = formatDateTime(iso);
  const cut = text.lastIndexOf(', ');
  if (!stacked || cut < 0) return <time dateTime={iso}>{text}</time>;
  return (
    <time dateTime={iso} class="stacked">
      <span>{text.slice(0, cut)}</span>
      <span class="visually-hidden">, </span>
      <span class="muted">{text.slice(cut + 2)}</span>
    </time>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Notice({ children, tone = 'info' }: { children: ComponentChildren; tone?: 'info' | 'warning' | 'danger' }) {
  return <div class={`notice notice-${tone}`}>{children}</div>;
}

interface FieldProps {
  label: string;
  hint?: string;
  error?: string;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ComponentChildren;
}
/** A labelled form control with its hint and its field error, all tied to the control. */
export function Field({ label, hint, error, children }: FieldProps) {
  const id = useId();
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label class="field-label" for={id}>
        {label}
      </label>
      {children({ id, 'aria-describedby': described, 'aria-invalid': error ? true : undefined })}
      {hint && (
        <p class="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** A select's options: each a value shown as itself, or a value and its label. */
export function Options({ items }: { items: readonly (string | readonly [value: string, label: string])[] }) {
  return (
    <>
      {items.map((item) => {
        const [value, label] = typeof item === 'string' ? [item, item] : item;
        return (
          <option value={value} key={value}>
            {label}
          </option>
        );
      })}
    </>
  );
}
