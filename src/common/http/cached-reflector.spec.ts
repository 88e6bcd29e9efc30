import 'reflect-metadata';
import { SetMetadata } from '@nestjs/common';
import { CachedReflector } from './cached-reflector';

const SKIP = 'THROTTLER:SKIP';
const LIMIT = 'THROTTLER:LIMIT';
const fresh = (prefix: string, name: string) => [prefix, name].join('');

@SetMetadata(fresh(LIMIT, 'minute'), 50)
class Controller {
  @SetMetadata(fresh(SKIP, 'second'), true)
  @SetMetadata(fresh(LIMIT, 'second'), 5)
  handler() {}

  plain() {}
}

describe('CachedReflector', () => {
  it('reads keys built afresh on every call, keeping keys of the same length apart', () => {
    const reflector = new CachedReflector();
    const targets = [Controller.prototype.handler, Controller];
    for (let round = 0; round < 3; round++) {
      expect(reflector.getAllAndOverride(fresh(SKIP, 'second'), targets)).toBe(true);
      expect(reflector.getAllAndOverride(fresh(SKIP, 'minute'), targets)).toBeUndefined();
      expect(reflector.getAllAndOverride(fresh(LIMIT, 'second'), targets)).toBe(5);
      expect(reflector.getAllAndOverride(fresh(LIMIT, 'minute'), targets)).toBe(50);
    }
  });

  it('answers as Reflector does for other pairs and other kinds of key', () => {
    const reflector = new CachedReflector();
    const symbol = Symbol('key');
    SetMetadata(symbol, 'on class')(Controller);
    for (let round = 0; round < 2; round++) {
      expect(reflector.getAllAndOverride(fresh(LIMIT, 'second'), [Controller.prototype.plain, Controller])).toBeUndefined();
      expect(reflector.getAllAndOverride(fresh(LIMIT, 'minute'), [Controller.prototype.plain, Controller])).toBe(50);
      expect(reflector.getAllAndOverride(symbol, [Controller.prototype.handler, Controller])).toBe('on class');
      expect(reflector.getAllAndOverride(fresh(LIMIT, 'second'), [Controller.prototype.handler, Object])).toBe(5);
      expect(reflector.getAllAndOverride(fresh(LIMIT, 'minute'), [Controller.prototype.handler, Object])).toBeUndefined();
    }
  });
});
