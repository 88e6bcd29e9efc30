import fc from 'fast-check';
import { DomainException } from '../errors/domain.exception';
import { decodeCursor, encodeCursor } from './cursor';

describe('cursor', () => {
  it('round-trips a position', () => {
    const position = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: 'key_abc123' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('answers anything else with a validation error, never a crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          decodeCursor(s);
        } catch (err) {
          expect(err).toBeInstanceOf(DomainException);
        }
      }),
    );
    expect(() => decodeCursor(Buffer.from('not-a-date|key_x').toString('base64url'))).toThrow(DomainException);
    expect(() => decodeCursor(Buffer.from("2026-01-01T00:00:00Z|key_x' or 1=1").toString('base64url'))).toThrow(DomainException);
  });
});
