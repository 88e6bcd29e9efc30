import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { toErrorResponse } from '../common/errors/error-response';
import { canonicalIp } from '../common/http/ip-ranges';
import { urlCarriesKey } from '../common/http/key-shape';
import { type AuthRefusals, invalidKey } from './auth-refusals';

/**
 * A key in a URL has leaked (into logs, proxies, browser history) and is never accepted: the request
 * is refused by the first check of Fastify's onRequest hook, on the raw request target, on every path
 * (unknown and public ones too), even when a valid key header comes with it. The answer is an invalid
 * key's (an `auth.failed` event, the per-IP budget, 401 then 429).
 */
export function keyInUrlCheck(refusals: AuthRefusals) {
  /** True when the check has taken the request over (it answers, or passes an error to `done`). */
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): boolean => {
    if (!urlCarriesKey(request.raw.url ?? '', request.query)) return false;
    refuseInvalidKey(refusals, request, reply, done);
    return true;
  };
}

/** Answers an invalid key's refusal (401, or 429 past the IP's budget) with the contract's body. */
export function refuseInvalidKey(refusals: AuthRefusals, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  void refusals.refuse(invalidKey(), canonicalIp(request.ip) ?? undefined).then((answer) => {
    const { status, headers, body } = toErrorResponse(answer, String(request.id));
    void reply.status(status).headers(headers).send(body);
  }, done);
}
