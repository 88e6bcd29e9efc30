import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

const NONE = Symbol('no metadata');

/** What was read for one handler on one class. */
interface HandlerMemo {
  owner: unknown;
  values: Map<unknown, unknown>;
}

/**
 * Route metadata is fixed once the application has booted, so each (key, handler, class) is read
 * from reflect-metadata once. The global guards ask on every request (the throttler alone asks a
 * dozen times), which otherwise walks prototype chains each time. A handler is nearly always asked
 * about with its own class: that pair takes two lookups; any other pair has a map of its own.
 */
@Injectable()
export class CachedReflector extends Reflector {
  private readonly memo = new Map<unknown, HandlerMemo>();
  private readonly otherPairs = new Map<unknown, Map<unknown, Map<unknown, unknown>>>();

  override getAllAndOverride<T = any>(metadataKey: any, targets: (Type<any> | Function)[]): T {
    if (targets.length !== 2) return super.getAllAndOverride(metadataKey, targets);
    const [handler, owner] = targets;
    let memo = this.memo.get(handler);
    if (!memo) this.memo.set(handler, (memo = { owner, values: new Map() }));
    const values = memo.owner === owner ? memo.values : this.otherPair(handler, owner);
    let value = values.get(metadataKey);
    if (value === undefined) {
      value = super.getAllAndOverride(metadataKey, targets);
      if (value === undefined) value = NONE;
      values.set(metadataKey, value);
    }
    return (value === NONE ? undefined : value) as T;
  }

  private otherPair(handler: unknown, owner: unknown): Map<unknown, unknown> {
    let byOwner = this.otherPairs.get(handler);
    if (!byOwner) this.otherPairs.set(handler, (byOwner = new Map()));
    let values = byOwner.get(owner);
    if (!values) byOwner.set(owner, (values = new Map()));
    return values;
  }
}
