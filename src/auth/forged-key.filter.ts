import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyAuthenticator } from '../keys/key-authenticator.service';
import { toErrorResponse } from '../common/errors/error-response';
import { canonicalIp } from '../common/http/ip-ranges';
import { bearerToken } from './strategies/api-key.strategies';
import { type AuthRefusals, invalidKey } from './auth-refusals';
import { notePresentedKey } from './presented-key';

/**
 * Routes that need no key (health, documentation): what they are sent is never judged. Matched on the
 * route Fastify resolved, so `/%68ealth/live` or an absolute-form target is the route it reaches.
 */
const PUBLIC_ROUTES = /^\/(health|docs|openapi\.(json|yaml))(\/|$)/;
const isPublicRoute = (request: FastifyRequest) => {
  const route = request.routeOptions.url;
  return route !== undefined && PUBLIC_ROUTES.test(route);
};

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
 * event, the per-IP budget, 401 then 429); every other decision stays with the guard.
 */
export function refuseForgedKeys(fastify: FastifyInstance, authenticator: KeyAuthenticator, refusals: AuthRefusals): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const key = presentedKey(request);
    if (key === null || isPublicRoute(request)) return done();
    const presented = authenticator.present(key);
    if (presented) {
      notePresentedKey(request, presented);
      return done();
    }
    void refusals.refuse(invalidKey(), canonicalIp(request.ip) ?? undefined).then((answer) => {
      const { status, headers, body } = toErrorResponse(answer, String(request.id));
      void reply.status(status).headers(headers).send(body);
    }, done);
  });
}
