import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { INVALID_KEY, KeyAuthenticator, type AuthOutcome } from '../../keys/key-authenticator.service';
import { presentedKey } from '../presented-key';

export const X_API_KEY_STRATEGY = 'x-api-key';
export const BEARER_STRATEGY = 'bearer-api-key';

/**
 * The request being authenticated. passport-headerapikey calls `validate` synchronously from
 * `authenticate`, which has the request, while `validate` is only given the key (passing the
 * request along as well hangs Nest's wrapper): it is handed over in this slot, never across an await.
 */
let authenticating: FastifyRequest | undefined;
function withRequest(request: unknown, authenticate: () => void): void {
  authenticating = request as FastifyRequest;
  try {
    authenticate();
  } finally {
    authenticating = undefined;
  }
}
const takeRequest = () => {
  const request = authenticating;
  authenticating = undefined;
  return request;
};

/**
 * Both strategies always hand an outcome to the guard (never `false` once a header is there),
 * so the guard can answer with the exact contract code. A missing header makes passport try the next.
 */
@Injectable()
export class XApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, X_API_KEY_STRATEGY) {
  constructor(private readonly authenticator: KeyAuthenticator) {
    super({ header: 'X-API-Key', prefix: '' }, false);
  }

  override authenticate(request: Parameters<HeaderAPIKeyStrategy['authenticate']>[0], options?: object): void {
    withRequest(request, () => super.authenticate(request, options));
  }

  validate(apiKey: string): Promise<AuthOutcome> {
    return this.authenticator.authenticate(apiKey, presentedKey(takeRequest(), apiKey));
  }
}

const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;

@Injectable()
export class BearerApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, BEARER_STRATEGY) {
  constructor(private readonly authenticator: KeyAuthenticator) {
    // The scheme is matched here, case-insensitively, rather than by the library's case-sensitive prefix.
    super({ header: 'Authorization', prefix: '' }, false);
  }

  override authenticate(request: Parameters<HeaderAPIKeyStrategy['authenticate']>[0], options?: object): void {
    withRequest(request, () => super.authenticate(request, options));
  }

  async validate(authorization: string): Promise<AuthOutcome> {
    const request = takeRequest();
    const match = BEARER.exec(authorization);
    return match ? this.authenticator.authenticate(match[1], presentedKey(request, match[1])) : INVALID_KEY;
  }
}

/** The key carried by an Authorization header, or null when it is not a Bearer credential. */
export function bearerToken(authorization: string): string | null {
  return BEARER.exec(authorization)?.[1] ?? null;
}
