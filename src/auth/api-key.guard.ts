import { ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import passport from 'passport';
import { CachedReflector } from '../common/http/cached-reflector';
import { canonicalIp } from '../common/http/ip-ranges';
import { type AuthFailure, type AuthOutcome, type ClientContext, KeyAuthenticator } from '../keys/key-authenticator.service';
import { DomainException } from '../common/errors/domain.exception';
import { ERROR_STATUS, ErrorCode } from '../common/errors/error-code';
import { AuthRefusals, invalidKey, missingKey } from './auth-refusals';
import { BEARER_STRATEGY, bearerToken, X_API_KEY_STRATEGY } from './strategies/api-key.strategies';
import { SESSION_STRATEGY } from './strategies/session.strategy';
import type { Principal } from '../common/auth/principal';
import { ACCEPTED_CREDENTIAL, type AcceptedCredential } from '../common/auth/credentials.decorator';
import { IS_PUBLIC } from '../common/auth/public.decorator';
import type { AppConfig } from '../config/configuration';
import { fromOwnOrigin, SAFE_METHODS } from '../portal/csrf';

const REFUSED = Symbol('refused key');
const STRATEGIES = [X_API_KEY_STRATEGY, BEARER_STRATEGY, SESSION_STRATEGY];
/** Passport's options for this guard (PassportModule's too): no login session, no per-request options. */
export const AUTHENTICATE_OPTIONS = Object.freeze({ session: false });
type Refused = FastifyRequest & { [REFUSED]?: AuthFailure };


/**
 * The global guard: every route needs a valid key or console session unless marked @Public(). It
 * refuses ambiguous credentials (both headers with different keys, a repeated header; a key in a
 * URL is refused before routing, see key-in-url.filter) before passport looks at them; after, the
 * key's IP and referrer restrictions, or the session's CSRF check. Strategies are tried in order and
 * the first credential present decides, so a request with a key header is judged by the key alone.
 */
@Injectable()
export class CredentialGuard extends AuthGuard(STRATEGIES) {
  private readonly consoleOrigin: string;

  constructor(
    private readonly reflector: CachedReflector,
    private readonly authenticator: KeyAuthenticator,
    private readonly refusals: AuthRefusals,
    config: ConfigService<AppConfig, true>,
  ) {
    super();
    this.consoleOrigin = config.get('portal', { infer: true }).origin;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    try {
      refuseAmbiguousCredentials(request);
      const principal = await this.authenticate(request, context);
      request.user = principal;
      const accepted = this.reflector.getAllAndOverride<AcceptedCredential | undefined>(ACCEPTED_CREDENTIAL, [context.getHandler(), context.getClass()]);
      if (principal.session) this.checkSession(request, accepted);
      else if (accepted === 'session') throw consoleSessionRequired();
      const refused = this.authenticator.checkClient(principal, clientContext(request));
      if (refused) throw new DomainException(refused.code);
    } catch (err) {
      if (err instanceof DomainException && ERROR_STATUS[err.code] < 500) {
        throw await this.refusals.refuse(err, canonicalIp(request.ip) ?? undefined, (request as Refused)[REFUSED]);
      }
      throw err;
    }
    return true;
  }

  /**
   * passport.authenticate over the strategies, as AuthGuard.canActivate calls it, without what
   * AuthGuard adds per request and this guard never uses (merging option objects, awaiting
   * getAuthenticateOptions): the strategies, passport's fall-through and handleRequest are the same.
   */
  private authenticate(request: FastifyRequest, context: ExecutionContext): Promise<Principal> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return new Promise<Principal>((resolve, reject) => {
      const middleware = passport.authenticate(STRATEGIES, AUTHENTICATE_OPTIONS, (err: unknown, outcome: AuthOutcome | false, info: unknown) => {
        try {
          (request as FastifyRequest & { authInfo?: unknown }).authInfo = info;
          resolve(this.handleRequest<Principal>(err, outcome, info, context));
        } catch (error) {
          reject(error);
        }
      });
      middleware(request, reply, (err?: unknown) => (err ? reject(err) : reject(missingKey())));
    });
  }

  /** A session acts only where sessions may, and changes things only from the console's own origin (CSRF). */
  private checkSession(request: FastifyRequest, accepted: AcceptedCredential | undefined): void {
    if (accepted === 'key') throw missingKey();
    if (!SAFE_METHODS.has(request.method) && !fromOwnOrigin(request.headers, this.consoleOrigin)) {
      throw new DomainException(ErrorCode.CsrfRejected);
    }
  }

  override handleRequest<T = Principal>(err: unknown, outcome: AuthOutcome | false, _info: unknown, context: ExecutionContext): T {
    if (err) throw err;
    if (!outcome) throw missingKey();
    if (!outcome.ok) {
      (context.switchToHttp().getRequest() as Refused)[REFUSED] = outcome;
      throw new DomainException(outcome.code, outcome.message);
    }
    return outcome.principal as T;
  }
}

const consoleSessionRequired = () => new DomainException(ErrorCode.Unauthorized, 'This route needs a console session.');

function refuseAmbiguousCredentials(request: FastifyRequest): void {
  const raw = request.raw.rawHeaders;
  let apiKeyHeaders = 0;
  let authorizationHeaders = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === 'x-api-key') apiKeyHeaders++;
    else if (name === 'authorization') authorizationHeaders++;
  }
  if (apiKeyHeaders > 1 || authorizationHeaders > 1) throw invalidKey();
  if (apiKeyHeaders && authorizationHeaders) {
    const fromBearer = bearerToken(String(request.headers.authorization));
    if (fromBearer !== request.headers['x-api-key']) throw invalidKey();
  }
}

/**
 * Where the request comes from: the client IP (X-Forwarded-For only from TRUST_PROXY; an address that
 * is not standard text, which only a trusted proxy can have passed on, is no address), Origin, Referer.
 */
export function clientContext(request: FastifyRequest): ClientContext {
  const origin = request.headers.origin;
  const referer = request.headers.referer;
  return {
    ip: canonicalIp(request.ip),
    origin: typeof origin === 'string' ? origin : null,
    referer: typeof referer === 'string' ? referer : null,
  };
}
