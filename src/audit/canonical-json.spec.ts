import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes dates as ISO strings', () => {
    const a = canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: new Date('2026-01-01T00:00:00Z') } });
    expect(a).toBe('{"a":{"c":"2026-01-01T00:00:00.000Z","d":[{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ y: 1, x: 2 })).toBe(canonicalJson({ x: 2, y: 1 }));
  });
});
