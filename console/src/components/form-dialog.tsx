import type { ComponentChildren } from 'preact';
import { Dialog, DialogActions, ErrorMessage } from './dialog';

interface FormDialogProps {
  title: string;
  submitLabel: string;
  onSubmit: () => Promise<void>;
  onCancel: () => void;
  busy?: boolean;
  /** The failed submit's sentence, under the fields. */
  error?: string | null;
  wide?: boolean;
  children: ComponentChildren;
}

/** A dialog holding one form: its fields, the submit's error, then Cancel and the submit button. */
export function FormDialog({ title, submitLabel, onSubmit, onCancel, busy, error, wide, children }: FormDialogProps) {
  const submit = (event: Event) => {
    event.preventDefault();
    void onSubmit();
  };
  return (
    <Dialog title={title} onClose={onCancel} wide={wide}>
      <form class="form" onSubmit={submit} noValidate>
        <div class="dialog-body">
          {children}
          {error && <ErrorMessage text={error} />}
        </div>
        <DialogActions label={submitLabel} onCancel={onCancel} busy={busy} />
      </form>
    </Dialog>
  );
}
