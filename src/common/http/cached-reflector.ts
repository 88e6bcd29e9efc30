import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

const NONE = Symbol('no metadata');
/** Most string keys remembered per (handler, class): metadata keys come from code, so this is never reached in practice. */
const MAX_STRING_KEYS = 64;

/** What was read for one handler on one class. */
interface Values {
  /** String keys with their values, side by side (see `find`). */
  keys: string[];
  values: unknown[];
  /** Keys of any other type (symbols, classes). */
  others: Map<unknown, unknown>;
}

interface HandlerMemo {
  owner: unknown;
  values: Values;
}

const newValues = (): Values => ({ keys: [], values: [], others: new Map() });

/**
 * Route metadata is fixed once the application has booted, so each (key, handler, class) is read
 * from reflect-metadata once. The global guards ask on every request (the throttler alone asks a
 * dozen times), which otherwise walks prototype chains each time. A handler is nearly always asked
 * about with its own class: that pair takes two lookups; any other pair has a map of its own.
 *
 * The throttler's keys are built afresh on every request (`'THROTTLER:LIMIT' + name`): looking such a
 * string up in a Map flattens and hashes it first, which cost more than 100 ns a lookup. String keys
 * are found instead by comparing lengths, then the few keys of the same length, which reads the new
 * string in place.
 */
@Injectable()
export class CachedReflector extends Reflector {
  private readonly memo = new Map<unknown, HandlerMemo>();
  private readonly otherPairs = new Map<unknown, Map<unknown, Values>>();

  override getAllAndOverride<T = any>(metadataKey: any, targets: (Type<any> | Function)[]): T {
    if (targets.length !== 2) return super.getAllAndOverride(metadataKey, targets);
    const [handler, owner] = targets;
    let memo = this.memo.get(handler);
    if (!memo) this.memo.set(handler, (memo = { owner, values: newValues() }));
    const values = memo.owner === owner ? memo.values : this.otherPair(handler, owner);
    let value = typeof metadataKey === 'string' ? find(values, metadataKey) : values.others.get(metadataKey);
    if (value === undefined) {
      value = super.getAllAndOverride(metadataKey, targets);
      if (value === undefined) value = NONE;
      remember(values, metadataKey, value);
    }
    return (value === NONE ? undefined : value) as T;
  }

  private otherPair(handler: unknown, owner: unknown): Values {
    let byOwner = this.otherPairs.get(handler);
    if (!byOwner) this.otherPairs.set(handler, (byOwner = new Map()));
    let values = byOwner.get(owner);
    if (!values) byOwner.set(owner, (values = newValues()));
    return values;
  }
}

function find(memo: Values, key: string): unknown {
  const { keys, values } = memo;
  const length = key.length;
  for (let i = 0; i < keys.length; i++) if (keys[i].length === length && keys[i] === key) return values[i];
  return undefined;
}

function remember(memo: Values, key: unknown, value: unknown): void {
  if (typeof key !== 'string') memo.others.set(key, value);
  else if (memo.keys.length < MAX_STRING_KEYS) {
    memo.keys.push(key);
    memo.values.push(value);
  }
}
