import type { ErrorCode } from '../../common/errors/error-code';

/** A request was refused by the API-key guard. The audit log records these, aggregated. */
export class AuthFailedEvent {
  static readonly eventName = 'auth.failed';

  constructor(
    readonly reason: ErrorCode,
    readonly ip: string | null,
    /** Known when the key was real (revoked, expired, restricted...). */
    readonly accountId: string | null,
    readonly keyId: string | null,
    readonly at: Date,
  ) {}
}
