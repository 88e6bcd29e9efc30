import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { HasVisibleText, IsIpAddress, IsRfc3339, parseRfc3339 } from './validators';

describe('parseRfc3339', () => {
  it.each([
    ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z'],
    ['2026-01-01t00:00:00z', '2026-01-01T00:00:00.000Z'],
    ['2026-01-01T00:00:00.5Z', '2026-01-01T00:00:00.500Z'],
    ['2026-01-01T00:00:00.123456789Z', '2026-01-01T00:00:00.123Z'],
    ['2026-01-01T05:30:00+05:30', '2026-01-01T00:00:00.000Z'],
    ['2025-12-31T19:00:00-05:00', '2026-01-01T00:00:00.000Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('reads %s', (text, iso) => {
    expect(parseRfc3339(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '2026-W01', '2026-W01-1', '2026-001', '20260101T000000Z', '20260101', '+2026-01-01T00:00:00Z', '+002026-01-01T00:00:00Z', '-000001-01-01T00:00:00Z',
    '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-01-00T00:00:00Z', '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z', '2016-12-31T23:59:60Z', '2026-01-01T00:00:00+24:00', '2026-01-01T00:00:00+05:60', '2026-01-01', '2026-01-01T00:00Z',
    '2026-01-01 00:00:00Z', '2026-01-01T00:00:00', '2026-01-01T00:00:00.Z', '2026-01-01T00:00:00,5Z', '2026-01-01T00:00:00+0530', '2026-01-01T00:00:00.1234567890Z',
    '9999-12-31T23:59:59-00:01', '0001-01-01T00:00:00+00:01', '0000-06-01T00:00:00Z', '２０２６-01-01T00:00:00Z', ' 2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z\n',
  ])('refuses %j', (text) => {
    expect(parseRfc3339(text)).toBeNull();
  });

  it('reads every instant of years 0001-9999 back from its ISO string', () => {
    const dates = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
    fc.assert(fc.property(dates, (d) => parseRfc3339(d.toISOString())?.getTime() === d.getTime()));
  });

  it('never accepts what Date reads as another instant, on any date-like text', () => {
    const part = (n: number, max: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, '0'));
    const text = fc
      .tuple(part(4, 9999).filter((y) => y !== '0000'), part(2, 19), part(2, 39), part(2, 29), part(2, 69), part(2, 69), fc.constantFrom('', '.1', '.999', '.1234'), fc.constantFrom('Z', '+00:00', '-23:59', '+24:00', '+12:75'))
      .map(([y, mo, d, h, mi, s, f, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${f}${z}`);
    fc.assert(
      fc.property(text, (t) => {
        const parsed = parseRfc3339(t);
        if (!parsed) return true;
        const [, y, mo, d, h, mi, s] = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)/.exec(t)!.map(Number);
        const z = t.endsWith('Z') ? 0 : Number(t.slice(-6, -3)) * 60 + Math.sign(Number(t.slice(-6, -3)) || 1) * Number(t.slice(-2));
        const utc = new Date(0);
        utc.setUTCFullYear(y, mo - 1, d);
        utc.setUTCHours(h, mi - z, s);
        return Math.floor(parsed.getTime() / 1000) === Math.floor(utc.getTime() / 1000);
      }),
    );
  });
});

class Sample {
  @IsRfc3339() at!: string;
  @HasVisibleText() name!: string;
  @IsIpAddress() ip!: string;
}
const problems = (input: Partial<Sample>) =>
  validateSync(plainToInstance(Sample, { at: '2026-01-01T00:00:00Z', name: 'ok', ip: '10.0.0.1', ...input })).map((e) => e.property);

describe('decorators', () => {
  it('refuses names without a visible character, accepts any with one', () => {
    for (const blank of [' ', '   ', '\t\n', '\u3000', '\u00a0', '\u200b\u200d', '\ufeff', '\u3164', '\u2800', '\u2028', '\u0301']) expect(problems({ name: blank })).toEqual(['name']);
    for (const name of ['a', ' a ', '😀', '日本', '-', '\u3164x', 'Ünïcode']) expect(problems({ name })).toEqual([]);
  });

  it('refuses dates that are not RFC 3339, and non-strings', () => {
    expect(problems({ at: '2026-W01' })).toEqual(['at']);
    expect(problems({ at: 20260101 as unknown as string })).toEqual(['at']);
  });

  it('normalises IP addresses it accepts and refuses the rest', () => {
    const sample = plainToInstance(Sample, { at: '2026-01-01T00:00:00Z', name: 'x', ip: '::ffff:10.0.0.1' });
    expect(validateSync(sample)).toEqual([]);
    expect(sample.ip).toBe('10.0.0.1');
    expect(problems({ ip: '0x0a000001' })).toEqual(['ip']);
    expect(problems({ ip: 7 as unknown as string })).toEqual(['ip']);
  });
});
