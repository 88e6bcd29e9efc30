import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

const NONE = Symbol('no metadata');

/**
 * Route metadata is fixed once the application has booted, so each (key, handler or class) is
 * read from reflect-metadata once. The global guards ask on every request (the throttler alone
 * asks a dozen times), which otherwise walks prototype chains each time.
 */
@Injectable()
export class CachedReflector extends Reflector {
  private readonly memo = new Map<unknown, WeakMap<object, unknown>>();

  override get(metadataKey: any, target: object): any {
    let byTarget = this.memo.get(metadataKey);
    if (!byTarget) this.memo.set(metadataKey, (byTarget = new WeakMap()));
    let value = byTarget.get(target);
    if (value === undefined) {
      value = super.get(metadataKey, target as never) ?? NONE;
      byTarget.set(target, value);
    }
    return value === NONE ? undefined : value;
  }
}
