import { createLatchkeyClient, LatchkeyError, unwrap, type Schemas } from '@latchkey/sdk';

/**
 * The console's only way to the API: the SDK over the portal session cookie. The browser sends
 * `Origin` and `Sec-Fetch-Site` itself, which is what the service checks on state-changing requests.
 */
export const api = createLatchkeyClient({ credentials: 'same-origin' });
export { LatchkeyError, unwrap };
export type { Schemas };

export type ApiKey = Schemas['ApiKeyDto'];
export type ApiKeyWithSecret = Schemas['ApiKeyWithSecretDto'];
export type AuditEvent = Schemas['AuditEventDto'];
export type Plan = Schemas['PlanDto'];
export type Account = Schemas['AccountDto'];

type Listener = () => void;
const endedListeners = new Set<Listener>();
/** Called when a request is refused with 401 while signed in: the session has ended (expired, signed out, revoked). */
export function onSessionEnded(listener: Listener): () => void {
  endedListeners.add(listener);
  return () => endedListeners.delete(listener);
}
let signedIn = false;
export const setSignedIn = (value: boolean) => {
  signedIn = value;
};

api.use({
  onResponse({ response }) {
    if (response.status === 401 && signedIn) {
      signedIn = false;
      for (const listener of endedListeners) listener();
    }
  },
});

/** The sentence to show for a failure: the API's own `error`, or a plain one for network trouble. */
export function errorText(error: unknown): string {
  if (error instanceof LatchkeyError) return error.message;
  return 'The service could not be reached. Check your connection and try again.';
}

/** Field-level problems of a 400, by field name. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof LatchkeyError)) return {};
  return Object.fromEntries(error.details.map((d) => [d.field, d.message]));
}
