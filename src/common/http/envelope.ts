
/** A page of a list: the items and the opaque cursor of the next page (null on the last). */
export class Paginated<T> {
  constructor(
    readonly items: T[],
    readonly nextCursor: string | null,
  ) {}
}

/** An action's outcome when there is nothing to return but a sentence. */
export class ActionMessage {
  constructor(readonly message: string) {}
}

/**
 * The contract's success envelope around what a controller returned. Applied in Fastify's
 * preSerialization hook (see setupApp) rather than a Nest interceptor: the interceptor's
 * observable pipeline cost more per request than the rest of the response together.
 */
export function envelope(result: unknown): object {
  if (result instanceof Paginated) return { success: true, data: result.items, next_cursor: result.nextCursor };
  if (result instanceof ActionMessage) return { success: true, message: result.message };
  return { success: true, data: result };
}
