import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

const NONE = Symbol('no metadata');

/**
 * Route metadata is fixed once the application has booted, so each (key, handler, class) is read
 * from reflect-metadata once. The global guards ask on every request (the throttler alone asks a
 * dozen times), which otherwise walks prototype chains each time.
 */
@Injectable()
export class CachedReflector extends Reflector {
  private readonly memo = new Map<unknown, Map<unknown, Map<unknown, unknown>>>();

  override getAllAndOverride<T = any>(metadataKey: any, targets: (Type<any> | Function)[]): T {
    if (targets.length !== 2) return super.getAllAndOverride(metadataKey, targets);
    const [handler, owner] = targets;
    let byOwner = this.memo.get(handler);
    if (!byOwner) this.memo.set(handler, (byOwner = new Map()));
    let byKey = byOwner.get(owner);
    if (!byKey) byOwner.set(owner, (byKey = new Map()));
    let value = byKey.get(metadataKey);
    if (value === undefined) {
      value = super.getAllAndOverride(metadataKey, targets);
      if (value === undefined) value = NONE;
      byKey.set(metadataKey, value);
    }
    return (value === NONE ? undefined : value) as T;
  }
}
