import { CallHandler, ExecutionContext, Injectable, NestInterceptor, StreamableFile } from '@nestjs/common';
import { map, type Observable } from 'rxjs';

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

/** A body sent as it is, outside the envelope (e.g. the Prometheus text format). */
export class RawText {
  constructor(readonly text: string) {}
}

/** Wraps what controllers return in the contract's success envelope. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result) => {
        if (result instanceof StreamableFile) return result;
        if (result instanceof RawText) return result.text;
        if (result instanceof Paginated) return { success: true, data: result.items, next_cursor: result.nextCursor };
        if (result instanceof ActionMessage) return { success: true, message: result.message };
        return { success: true, data: result };
      }),
    );
  }
}
