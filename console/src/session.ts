import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, setSignedIn, unwrap, type Schemas } from './api';

export interface SessionUser {
  id: string;
  email?: string | null;
  name?: string | null;
}
export interface Session {
  id: string;
  user: SessionUser;
  scopes: string[];
  expires_at: string;
  /** Where the operator's dashboard wants people sent back. */
  return_url?: string | null;
}
export interface SessionAccount {
  id: string;
  name: string;
  plan: string;
  email?: string;
}
export interface SignedIn {
  session: Session;
  account: SessionAccount;
}

export type Scope = NonNullable<Schemas['CreateApiKeyDto']['scopes']>[number];
/** Every customer scope the API knows (what `*` stands for); `admin` is apart and operator-only. */
export const CUSTOMER_SCOPES: Exclude<Scope, '*' | 'admin'>[] = ['keys:read', 'keys:write', 'keys:verify', 'account:read', 'audit:read', 'webhooks:read', 'webhooks:write'];

export function can(session: Session, scope: string): boolean {
  return session.scopes.includes(scope) || (scope !== 'admin' && session.scopes.includes('*'));
}

export const SessionContext = createContext<SignedIn | null>(null);
export function useSession(): SignedIn & { can: (scope: string) => boolean } {
  const signedIn = useContext(SessionContext);
  if (!signedIn) throw new Error('useSession outside a signed-in console');
  return { ...signedIn, can: (scope: string) => can(signedIn.session, scope) };
}

/** Reads the one-time code from `#code=…` and takes it out of the address bar (and history) at once. */
export function takeSignInCode(): string | null {
  const match = /(?:^#|&)code=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', location.pathname + location.search);
  return decodeURIComponent(match[1]);
}

export async function redeem(code: string): Promise<SignedIn> {
  const { data } = await unwrap(api.POST('/v1/portal/redeem', { body: { code } }));
  setSignedIn(true);
  return { session: data.session, account: data.account };
}

/** The session the cookie carries, if any (401 when there is none). */
export async function currentSession(): Promise<SignedIn> {
  const { data } = await unwrap(api.GET('/v1/me'));
  if (!('session' in data) || !data.session) throw new Error('not a console session');
  setSignedIn(true);
  return { session: data.session, account: data.account };
}

export async function signOut(): Promise<void> {
  setSignedIn(false);
  await unwrap(api.POST('/v1/portal/logout'));
}
