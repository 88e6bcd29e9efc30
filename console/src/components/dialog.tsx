import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useId, useRef } from 'preact/hooks';

interface DialogProps {
  title: string;
  /** Esc and the close button call this; the owner decides (and may ask first). */
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}

/**
 * A modal dialog on the native <dialog> element: showModal() makes the rest of the page inert,
 * moves focus into the dialog and gives it the dialog role; it is labelled by its heading.
 */
export function Dialog({ title, onClose, children, wide }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    opener.current = document.activeElement;
    ref.current?.showModal();
    return () => {
      ref.current?.close();
      // Focus goes back where it was when the dialog opened.
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-modal="true"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId} class="dialog-title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}

interface ConfirmProps {
  title: string;
  children: ComponentChildren;
  onConfirm: () => Promise<void> | void;
  onCancel: () => void;
  danger?: boolean;
  busy?: boolean;
  error?: string | null;
}

/** "Are you sure?" for a destructive action: Cancel or Confirm. */
export function ConfirmDialog({ title, children, onConfirm, onCancel, danger, busy, error }: ConfirmProps) {
  return (
    <Dialog title={title} onClose={onCancel}>
      <div class="dialog-body">{children}</div>
      {error && <ErrorMessage text={error} />}
      <DialogActions label="Confirm" onCancel={onCancel} onConfirm={onConfirm} danger={danger} busy={busy} />
    </Dialog>
  );
}

interface ActionsProps {
  label: string;
  onCancel: () => void;
  /** Without it the main button submits the dialog's form. */
  onConfirm?: () => Promise<void> | void;
  danger?: boolean;
  busy?: boolean;
}

/** A dialog's footer: Cancel, then its main button. */
export function DialogActions({ label, onCancel, onConfirm, danger, busy }: ActionsProps) {
  return (
    <div class="dialog-actions">
      <button type="button" class="button" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
      <button type={onConfirm ? 'button' : 'submit'} class={danger ? 'button button-danger' : 'button button-primary'} onClick={onConfirm && (() => void onConfirm())} disabled={busy}>
        {label}
      </button>
    </div>
  );
}

/** The plan's notice shown above every page; an error saying the same is not repeated below it. */
export const PlanNoticeContext = createContext<string | null>(null);

export function ErrorMessage({ text }: { text: string }) {
  if (useContext(PlanNoticeContext) === text) return null;
  return (
    <p class="error-message" role="alert">
      {text}
    </p>
  );
}
