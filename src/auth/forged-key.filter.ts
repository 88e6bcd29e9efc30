import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { KeyAuthenticator } from '../keys/key-authenticator.service';
import { bearerToken } from './strategies/api-key.strategies';
import type { AuthRefusals } from './auth-refusals';
import { refuseInvalidKey } from './key-in-url.filter';
import { notePresentedKey } from './presented-key';

/**
 * Routes that need no key (health, documentation): what they are sent is never judged. Matched on the
 * route Fastify resolved, so `/%68ealth/live` or an absolute-form target is the route it reaches.
 */
const PUBLIC_ROUTES = /^\/(health|docs|openapi\.(json|yaml))(\/|$)/;

/** The one key a request presents, as the API-key guard's strategies would read it. */
function presentedKey(request: FastifyRequest): string | null {
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const authorization = request.headers.authorization;
  return typeof authorization === 'string' ? bearerToken(authorization) : null;
}

/**
 * Keys refused on their face (wrong shape or prefix, or a check tag that does not match: mistyped,
 * made up, or from another deployment) are answered in Fastify's onRequest hook, before Nest routes
 * the request. A flood of made-up keys then costs two HMACs and a counter per request, not the guard
 * pipeline, so valid traffic keeps its capacity; a key the guard will judge keeps its keyed hash on
 * the request, so the guard does not hash it again. The answer is the guard's own (an `auth.failed`
 * event, the per-IP budget, 401 then 429); every other decision stays with the guard. `route` is the
 * route Fastify resolved (undefined when none matched).
 */
export function forgedKeyCheck(authenticator: KeyAuthenticator, refusals: AuthRefusals) {
  return (request: FastifyRequest, reply: FastifyReply, route: string | undefined, done: HookHandlerDoneFunction): boolean => {
    const key = presentedKey(request);
    if (key === null || (route !== undefined && PUBLIC_ROUTES.test(route))) return false;
    const presented = authenticator.present(key);
    if (presented) {
      notePresentedKey(request, presented);
      return false;
    }
    refuseInvalidKey(refusals, request, reply, done);
    return true;
  };
}
