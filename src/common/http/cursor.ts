import { DomainException } from '../errors/domain.exception';
import { ErrorCode } from '../errors/error-code';

/** Position after the last row of a page, in a list ordered newest first by (created_at, id). */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.createdAt.toISOString()}|${position.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  const invalid = () =>
    new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [
      { field: 'cursor', message: 'cursor is not a cursor this API returned' },
    ]);
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  const [iso, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso);
  const year = createdAt.getUTCFullYear();
  // Only dates this API can have written: also keeps PostgreSQL's range errors out of reach.
  if (extra !== undefined || !id || !/^[a-z]+_[0-9A-Za-z]+$/.test(id) || Number.isNaN(year) || year < 2000 || year > 9999) throw invalid();
  return { createdAt, id };
}

/** The MikroORM filter for "rows after this cursor" in newest-first order. */
export function afterCursor(cursor: string | undefined) {
  if (!cursor) return {};
  const { createdAt, id } = decodeCursor(cursor);
  return { $or: [{ createdAt: { $lt: createdAt } }, { createdAt, id: { $lt: id } }] };
}

/** Cuts one extra fetched row into the next page's cursor. */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
