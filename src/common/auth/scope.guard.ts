import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CachedReflector } from '../http/cached-reflector';
import { DomainException } from '../errors/domain.exception';
import { ErrorCode } from '../errors/error-code';
import { holdsScope, MANAGING_SCOPES, REQUIRED_SCOPE, type Scope } from './scopes';

const GRACE_SECRET_REFUSAL = "A secret in its grace period can only authenticate requests; manage keys with the key's new secret.";

/** Last of the global guards: the route's scope. After the throttler, so a 403 is counted and carries rate-limit headers. */
@Injectable()
export class ScopeGuard implements CanActivate {
  constructor(private readonly reflector: CachedReflector) {}

  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<FastifyRequest>().user;
    const scope = this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]);
    if (!principal || !scope) return true;
    if (!holdsScope(principal.scopes, scope)) {
      throw new DomainException(ErrorCode.InsufficientScope, `This API key lacks the \`${scope}\` scope.`);
    }
    if (principal.credential === 'grace_secret' && MANAGING_SCOPES.has(scope)) {
      throw new DomainException(ErrorCode.InsufficientScope, GRACE_SECRET_REFUSAL);
    }
    return true;
  }
}
