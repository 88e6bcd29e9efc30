import type { ComponentChildren } from 'preact';
import { useId, useRef, useState } from 'preact/hooks';
import { Dialog } from './dialog';

interface OneTimeKeyProps {
  title: string;
  secret: string;
  /** Called once the person is done; the secret is dropped with this component. */
  onDone: () => void;
  /** What the secret is, as its field's label and in the sentences around it ("API key", "Signing secret"). */
  label?: string;
  /** What the person can do instead once it is gone ("regenerate it", "rotate it"). */
  remedy?: string;
  /** More to say under the warning (a rotation's overlap, say). */
  children?: ComponentChildren;
}

/**
 * The one time the full key is shown. It lives only in this component's props and the input
 * below: never in storage, the URL or a log, and gone when the dialog closes.
 */
export function OneTimeKey({ title, secret, onDone, label = 'API key', remedy = 'regenerate it', children }: OneTimeKeyProps) {
  const what = label === 'API key' ? 'key' : label.toLowerCase();
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const warningId = useId();

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
      setStatus('Copied to the clipboard.');
    } catch {
      input.current?.select();
      setStatus(`Copying was not allowed: the ${what} is selected, copy it with your keyboard.`);
    }
  };
  const close = () => (copied ? onDone() : setConfirming(true));

  if (confirming) {
    return (
      <Dialog title="Close without copying?" onClose={() => setConfirming(false)}>
        <div class="dialog-body">
          <p>
            You have not copied this {what}. Once you close this window the {what} cannot be shown again; you would have to {remedy}.
          </p>
        </div>
        <div class="dialog-actions">
          <button type="button" class="button" onClick={() => setConfirming(false)}>
            Go back
          </button>
          <button type="button" class="button button-danger" onClick={onDone}>
            Confirm
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title={title} onClose={close} wide>
      <div class="dialog-body">
        <p class="warning" id={warningId}>
          This is the only time the full {what} is shown. Copy it now and store it somewhere safe: you cannot retrieve it later.
        </p>
        {children}
        <label class="field-label" for={inputId}>
          {label}
        </label>
        <div class="secret-row">
          <input ref={input} id={inputId} class="input secret" readOnly value={secret} aria-describedby={warningId} spellcheck={false} autocomplete="off" onFocus={(e) => e.currentTarget.select()} />
          <button type="button" class="button button-primary" onClick={() => void copy()}>
            Copy
          </button>
        </div>
        <p class="status-message" role="status">
          {status}
        </p>
      </div>
      <div class="dialog-actions">
        <button type="button" class="button" onClick={close}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
