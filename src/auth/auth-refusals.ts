import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { AuthFailedEvent } from '../keys/events/auth-failed.event';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { RequestLimiter } from '../common/rate-limit/request-limiter';

export const missingKey = () => new DomainException(ErrorCode.Unauthorized, 'API key is missing');
export const invalidKey = () => new DomainException(ErrorCode.Unauthorized, 'API key is invalid');

/** The key a refusal was about, when it was a real one (revoked, expired, restricted...). */
export interface RefusedKey {
  accountId?: string;
  keyId?: string;
}

/**
 * What a refused authentication costs its client: an `auth.failed` event (the audit log and the
 * metrics count them) and a count against the client IP, which turns the refusal into a 429 once
 * the IP's budget is spent.
 */
@Injectable()
export class AuthRefusals {
  constructor(
    private readonly events: EventEmitter2,
    private readonly limiter: RequestLimiter,
  ) {}

  /** Records the refusal and returns what to answer: the refusal itself, or the 429 that replaces it. */
  async refuse(refusal: DomainException, ip: string | undefined, key?: RefusedKey): Promise<DomainException> {
    this.events.emit(AuthFailedEvent.eventName, new AuthFailedEvent(refusal.code, ip ?? null, key?.accountId ?? null, key?.keyId ?? null, new Date()));
    return (await this.limiter.countRefusal(ip, refusal.code)) ?? refusal;
  }
}
