import { isDeepStrictEqual } from 'node:util';

/** `{field: {before, after}}` for the fields that differ, or null when nothing changed. */
export function diffChanges(before: object, after: object): Record<string, { before: unknown; after: unknown }> | null {
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  for (const field of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (!isDeepStrictEqual(b[field], a[field])) changes[field] = { before: b[field] ?? null, after: a[field] ?? null };
  }
  return Object.keys(changes).length ? changes : null;
}
