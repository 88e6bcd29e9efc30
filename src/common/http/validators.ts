import { Transform } from 'class-transformer';
import { registerDecorator } from 'class-validator';
import { canonicalIp } from './ip-ranges';

/** A property decorator that refuses values `test` does not accept, with `message` (`$property` is the field). */
function accepting(name: string, test: (value: unknown) => boolean, message: string) {
  return (target: object, propertyName: string) =>
    registerDecorator({ name, target: target.constructor, propertyName, options: { message }, validator: { validate: test } });
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  return last.getUTCDate();
}

/**
 * The instant an RFC 3339 date-time names (`2026-01-01T00:00:00Z`, fractions and offsets allowed), or
 * null for anything else: other ISO 8601 forms (week and ordinal dates, basic format, expanded
 * years), impossible dates (2026-02-30, hour 24, second 60), and text that `new Date` would read as
 * another instant (the services read dates with it) or outside years 0001-9999 (PostgreSQL has no year 0).
 */
export function parseRfc3339(text: string): Date | null {
  const match = RFC3339.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const [offsetHours, offsetMinutes] = [Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  const offset = (match[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  const expected = new Date(0);
  expected.setUTCFullYear(year, month - 1, day);
  expected.setUTCHours(hour, minute - offset, second, Number((match[7] ?? '').padEnd(3, '0').slice(0, 3)));
  const parsed = new Date(text);
  const utcYear = parsed.getUTCFullYear();
  return parsed.getTime() === expected.getTime() && utcYear >= 1 && utcYear <= 9999 ? parsed : null;
}

/** The one validator of date-time input: RFC 3339 only (see parseRfc3339). */
export const IsRfc3339 = () =>
  accepting(
    'isRfc3339',
    (value) => typeof value === 'string' && value.length <= 40 && parseRfc3339(value) !== null,
    '$property must be an RFC 3339 date-time such as 2026-01-01T00:00:00Z (fractions and offsets allowed)',
  );

// Hangul fillers and the blank braille pattern are letters and symbols that print nothing.
const BLANK_GLYPHS = /[\u115f\u1160\u3164\uffa0\u2800]/g;
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;

/** A name needs at least one visible character: whitespace, invisible format characters and fillers alone are refused. */
export const HasVisibleText = () =>
  accepting(
    'hasVisibleText',
    (value) => typeof value !== 'string' || VISIBLE.test(value.replace(BLANK_GLYPHS, '')),
    '$property must contain a visible character',
  );

/** Standard IPv4/IPv6 text (see parseIp), passed on in its normal form: `::ffff:10.0.0.1` as `10.0.0.1`, `2001:DB8:0::1` as `2001:db8::1`. */
export function IsIpAddress() {
  const validate = accepting('isIpAddress', (value) => typeof value === 'string' && canonicalIp(value) === value,
    '$property must be an IPv4 address in dotted-quad form (no octal, hex or short forms) or an IPv6 address without a zone id');
  const normalize = Transform(({ value }) => (typeof value === 'string' ? (canonicalIp(value) ?? value) : value));
  return (target: object, propertyName: string) => {
    normalize(target, propertyName);
    validate(target, propertyName);
  };
}
