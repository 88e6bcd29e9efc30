import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { hasOperatorPowers, type Principal } from '../common/auth/principal';
import { KeyEnvironment } from '../common/auth/environment';
import type { VerifyKeyDto, VerifyKeyResultDto } from './dto/verify-key.dto';
import { KeyUsedEvent } from './events/key-used.event';
import { INVALID_KEY, KeyAuthenticator } from './key-authenticator.service';

const refused = (code: VerifyKeyResultDto['code']): VerifyKeyResultDto => ({
  valid: false,
  code,
  account_id: null,
  key_id: null,
  environment: null,
  scopes: [],
});

/** Verification on behalf of other services and gateways. */
@Injectable()
export class VerificationService {
  constructor(
    private readonly authenticator: KeyAuthenticator,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * A key verifies keys of its own account (a test key, only test keys); a key with the `admin`
   * scope verifies any account's. Keys beyond the caller's reach are reported exactly like
   * unknown keys, so verify cannot be used to probe other tenants.
   */
  async verify(caller: Principal, input: VerifyKeyDto): Promise<VerifyKeyResultDto> {
    const outcome = await this.authenticator.authenticate(input.key);
    const target = outcome.ok ? outcome.principal : outcome;
    const visible =
      target.accountId !== undefined &&
      (target.accountId === caller.accountId || hasOperatorPowers(caller)) &&
      (caller.environment === KeyEnvironment.Live || target.environment === KeyEnvironment.Test);
    if (!visible) return refused(INVALID_KEY.code);
    if (!outcome.ok) {
      return { ...refused(outcome.code), account_id: outcome.accountId ?? null, key_id: outcome.keyId ?? null, environment: outcome.environment ?? null };
    }
    const principal = outcome.principal;
    const clientRefusal = this.authenticator.checkClient(principal, { ip: input.ip ?? null, origin: input.origin ?? null, referer: null });
    const base = { account_id: principal.accountId, key_id: principal.keyId, environment: principal.environment, scopes: principal.scopes };
    if (clientRefusal) return { ...base, valid: false, code: clientRefusal.code };
    this.events.emit(KeyUsedEvent.eventName, new KeyUsedEvent(principal.keyId, principal.accountId, input.ip ?? null, Date.now(), 200));
    return { ...base, valid: true, code: null };
  }
}
