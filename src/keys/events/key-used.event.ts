/**
 * A key was used: emitted when the response to a request it authenticated is sent (and by
 * verify, for the verified key). Listeners keep last-used times and usage counts; none of them
 * may slow the request.
 */
export class KeyUsedEvent {
  static readonly eventName = 'key.used';

  constructor(
    readonly keyId: string,
    readonly accountId: string,
    readonly ip: string | null,
    /** When, in epoch milliseconds (a number: listeners keep it for seconds, and it must not cost a retained object per request). */
    readonly at: number,
    readonly statusCode: number,
  ) {}
}
