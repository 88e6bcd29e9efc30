/** A key authenticated a request. Emitted by the guard; consumers must not slow the request. */
export class KeyUsedEvent {
  static readonly eventName = 'key.used';

  constructor(
    readonly keyId: string,
    readonly accountId: string,
    readonly ip: string | null,
    readonly at: Date,
  ) {}
}
