import type { FastifyRequest } from 'fastify';
import type { PresentedKey } from '../keys/key-authenticator.service';

const PRESENTED = Symbol('presented key');
type Carrying = FastifyRequest & { [PRESENTED]?: PresentedKey };

/**
 * The key a request presents, as the forged-key hook read it: its keyed hash and whether its check
 * tag was verified, so the guard does not compute either a second time. Kept on the request itself,
 * so it lives exactly as long as the request.
 */
export function notePresentedKey(request: FastifyRequest, presented: PresentedKey): void {
  (request as Carrying)[PRESENTED] = presented;
}

/** What the hook learnt about `key`, when it is the very key the hook saw on this request. */
export function presentedKey(request: FastifyRequest | undefined, key: string): PresentedKey | undefined {
  const presented = request && (request as Carrying)[PRESENTED];
  return presented?.key === key ? presented : undefined;
}
