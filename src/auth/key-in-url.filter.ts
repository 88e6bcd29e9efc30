import type { FastifyInstance } from 'fastify';
import { toErrorResponse } from '../common/errors/error-response';
import { canonicalIp } from '../common/http/ip-ranges';
import { urlCarriesKey } from '../common/http/key-shape';
import { type AuthRefusals, invalidKey } from './auth-refusals';

/**
 * A key in a URL has leaked (into logs, proxies, browser history) and is never accepted: the request
 * is refused in Fastify's first onRequest hook, on the raw request target, on every path (unknown
 * and public ones too), even when a valid key header comes with it. The answer is an invalid key's
 * (an `auth.failed` event, the per-IP budget, 401 then 429).
 */
export function refuseKeysInUrls(fastify: FastifyInstance, refusals: AuthRefusals): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!urlCarriesKey(request.raw.url ?? '', request.query)) return done();
    void refusals.refuse(invalidKey(), canonicalIp(request.ip) ?? undefined).then((answer) => {
      const { status, headers, body } = toErrorResponse(answer, String(request.id));
      void reply.status(status).headers(headers).send(body);
    }, done);
  });
}
