import fc from 'fast-check';

/** Generators of hostile input for test/bad-input.e2e-spec.ts. JSON is produced as text, so it can hold 1e309 or `__proto__`. */

/** Characters a database or a validator may choke on: lone surrogates, NUL and other controls, non-characters. */
const UNSTORABLE = ['\ud800', '\udbff', '\udc00', '\udfff', '\u0000', '\u0001', '\u001f', '\u007f', '\ufffe', '\uffff', '\u200d', '\u202e'];
/** Any UTF-16 code unit, with the troublesome ones made frequent. */
const anyUnit = fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), fc.constantFrom(...UNSTORABLE));

/** Text made of ordinary and troublesome characters (lone surrogates, NUL, controls). */
export const unstorableText = fc
  .string({ unit: fc.oneof(fc.constantFrom(...UNSTORABLE), fc.constantFrom('a', 'Z', '€', '😀', '@', '.')), minLength: 1, maxLength: 12 })
  .filter((s) => UNSTORABLE.some((u) => s.includes(u)));

/** Any date JavaScript can hold, often outside years 0001-9999 (which is all PostgreSQL and ISO 8601 basic take). */
const anyDate = fc.oneof(
  fc.date({ noInvalidDate: true }),
  fc.date({ min: new Date('+010000-01-01T00:00:00Z'), noInvalidDate: true }),
  fc.date({ max: new Date('0000-12-31T23:59:59Z'), noInvalidDate: true }),
);
export const NASTY_STRINGS = [
  '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\ufeff', '\u202e', '\u200d', '', ' ', '\t\n', 'İ', 'ﬀ',
  "' OR '1'='1", '1; select pg_sleep(5)--', "x'); insert into accounts values (1);--", '\\', '%00', '%', '%zz',
  '../../etc/passwd', '..%2f..%2f', '${jndi:ldap://x}', '{{7*7}}', '<script>', '1e309', '-0', 'NaN', 'Infinity',
  '__proto__', 'constructor', 'null', 'undefined', 'true', '2020-02-30T25:61:61Z', '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z', '0000-00-00', '9999-12-31T23:59:59.999999999Z', 'key_', 'acct_', 'plan_', '*', '0.0.0.0/0',
];

export const hostileString = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 4 },
  { arbitrary: fc.string({ unit: anyUnit, maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: anyDate.map((d) => d.toISOString()), weight: 1 },
  { arbitrary: fc.integer({ min: 101, max: 70_000 }).map((n) => 'x'.repeat(n)), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 25_000 }).map((n) => '€'.repeat(n)), weight: 1 },
);

const RAW_NUMBERS = ['1e309', '-1e309', '-0', '1e-400', '123456789012345678901234567890', '9007199254740993', '-1', '0', '1.5', '4294967296', '-2147483649', '1E2'];
export const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', '\u0000', 'a\u0000', '\ud800', '', 'toString', '$where', '$gt', 'id', 'account_id', 'key', 'revoked_at'),
  fc.string({ unit: anyUnit, maxLength: 8 }),
);

export const objectText = (entries: [string, string][]) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

const leaf = fc.oneof(
  fc.constantFrom(...RAW_NUMBERS, 'null', 'true', 'false', '""', '[]', '{}'),
  hostileString.map((s) => JSON.stringify(s)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);

/** Any JSON value, as text: raw numbers, hostile strings and keys, a few levels deep. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 4 }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }).map((a) => `[${a.join(',')}]`),
  object: fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 5 }).map(objectText),
})).value;

/** Deep nesting: hundreds to ~10,000 levels of arrays or objects (all well under the 64 KiB limit). */
export const deepJson = fc.oneof(
  fc.integer({ min: 100, max: 10_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.integer({ min: 100, max: 8_000 }).map((d) => '{"a":'.repeat(d) + 'null' + '}'.repeat(d)),
);

/** Huge arrays (up to 20,000 items) and long strings, up to and past the 64 KiB limit. */
export const hugeJson = fc.oneof(
  fc.tuple(fc.integer({ min: 100, max: 20_000 }), fc.constantFrom('0', '"x"', 'null', '{}', '[]', '"10.0.0.1"', '"keys:read"')).map(([n, item]) => `[${Array(n).fill(item).join(',')}]`),
  fc.integer({ min: 1_000, max: 70_000 }).map((n) => JSON.stringify('y'.repeat(n))),
);

export const MALFORMED_JSON = ['{', '{"a":1,}', "{'a':1}", '{"a":NaN}', '{"a":Infinity}', '\ufeff{}', '{}garbage', '{"a":1}{"b":2}', '/*c*/{}', '{"a":"\\x41"}', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '   ', 'nul', '{"a":01}', '{"a":.5}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}'];
export const BAD_UTF8 = [[0xff, 0xfe], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xff, 0x00], [0x80], [0xe2, 0x82]];

type Schema = { $ref?: string; allOf?: Schema[]; type?: string; enum?: unknown[]; items?: Schema; example?: unknown; format?: string; pattern?: string; required?: string[]; properties?: Record<string, Schema> };

/** A plausible valid value (as JSON text) for a schema, so that other fields' validation is reached. */
function validValue(s: Schema, resolve: (s: Schema) => Schema): fc.Arbitrary<string> {
  s = resolve(s);
  if (s.enum) return fc.constant(JSON.stringify(s.enum[0]));
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).map((v) => JSON.stringify(v));
  if (s.type === 'array') return fc.constant(`[${s.items && resolve(s.items).enum ? JSON.stringify(resolve(s.items).enum![0]) : ''}]`);
  if (s.example !== undefined) return fc.constant(JSON.stringify(s.example));
  if (s.format === 'date-time') return fc.constant(JSON.stringify(new Date(Date.now() + 86_400_000).toISOString()));
  return fc.constant(({ integer: '1', number: '1', boolean: 'true', object: '{}' } as Record<string, string>)[s.type ?? ''] ?? '"fuzz"');
}

/** A body whose required fields are valid and one text or object field holds unstorable text; null when the DTO has none. */
export function unstorableTextBody(schema: Schema, resolve: (s: Schema) => Schema): fc.Arbitrary<string> | null {
  const dto = resolve(schema);
  const props = Object.entries(dto.properties ?? {});
  const targets = props.filter(([, s]) => ['string', 'object'].includes(resolve(s).type ?? '')).map(([n]) => n);
  if (!targets.length) return null;
  const required = props.filter(([n]) => (dto.required ?? []).includes(n));
  return fc
    .tuple(fc.tuple(...required.map(([n, s]) => validValue(s, resolve).map((v): [string, string] => [n, v]))), fc.constantFrom(...targets), unstorableText, unstorableText)
    .map(([valid, target, a, b]) => {
      const bad = resolve(Object.fromEntries(props)[target]).type === 'object' ? objectText([[a, JSON.stringify(b)]]) : JSON.stringify(a);
      return objectText([...valid.filter(([n]) => n !== target), [target, bad]]);
    });
}

/** A hostile request body for a DTO schema: as text, or as bytes (invalid UTF-8). */
export function hostileBody(schema: Schema, resolve: (s: Schema) => Schema, keys: string[]): fc.Arbitrary<string | Buffer> {
  const props = Object.entries(resolve(schema).properties ?? {});
  const field = ([name, s]: [string, Schema]) =>
    fc.option(
      fc.oneof(
        { arbitrary: validValue(s, resolve), weight: 4 },
        { arbitrary: jsonText, weight: 3 },
        { arbitrary: hostileString.map((v) => JSON.stringify(v)), weight: 2 },
        { arbitrary: fc.constantFrom('null', 'true', '0', '-1', '"x"', '[]', '{}', '[null]', '[[]]', '{"a":{}}', '1e309', '-0'), weight: 2 },
        { arbitrary: hugeJson, weight: 1 },
        // A field that takes a key gets real ones too: the answer must not echo them.
        { arbitrary: name === 'key' ? fc.constantFrom(...keys).map((k) => JSON.stringify(k)) : fc.constant('"fuzz"'), weight: name === 'key' ? 3 : 1 },
      ).map((v): [string, string] => [name, v]),
      { freq: 3, nil: undefined },
    );
  const extra = fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: fc.array(fc.tuple(hostileKey, jsonText), { minLength: 1, maxLength: 2 }), weight: 1 });
  const structured = fc.tuple(fc.tuple(...props.map(field)), extra).map(([fields, more]) => objectText([...fields.filter((f) => f !== undefined), ...more]));
  const stringFields = props.filter(([, s]) => resolve(s).type === 'string').map(([n]) => n);
  const badUtf8 = fc.tuple(structured, fc.nat(), fc.constantFrom(...BAD_UTF8), fc.constantFrom('', ...stringFields)).map(([text, at, bytes, name]) =>
    name
      ? Buffer.concat([Buffer.from(`{${JSON.stringify(name)}:"a`), Buffer.from(bytes), Buffer.from('b"}')])
      : Buffer.concat([Buffer.from(text.slice(0, at % (text.length + 1))), Buffer.from(bytes), Buffer.from(text.slice(at % (text.length + 1)))]),
  );
  return fc.oneof(
    { arbitrary: structured, weight: 8 },
    { arbitrary: jsonText, weight: 2 },
    { arbitrary: hugeJson, weight: 1 },
    { arbitrary: fc.constantFrom(...MALFORMED_JSON), weight: 1 },
    { arbitrary: badUtf8, weight: 2 },
  );
}

const LOOKALIKE: Record<string, string[]> = {
  a: ['а', 'α'], c: ['с'], e: ['е', 'ε'], i: ['і', 'ι'], k: ['κ'], l: ['ӏ', 'ⅼ'], o: ['о', 'ο'], p: ['р', 'ρ'], v: ['ν'], x: ['х', 'χ'], y: ['у', 'γ'],
  A: ['А', 'Α', 'Ａ'], B: ['В', 'Β'], C: ['С'], E: ['Е', 'Ε'], H: ['Н', 'Η'], I: ['І', 'Ι'], K: ['К', 'Κ'], M: ['М', 'Μ'], N: ['Ν'], O: ['О', 'Ο'],
  P: ['Р', 'Ρ'], T: ['Т', 'Τ'], X: ['Х', 'Χ'], Y: ['Υ'], Z: ['Ζ'], _: ['＿', '‗'],
  ...Object.fromEntries([...'0123456789'].map((d) => [d, [String.fromCharCode(0xff10 + Number(d))]])),
};
const INVISIBLE = ['\u200d', '\u200b', '\u200c', '\ufeff', '\u00ad', '\u00a0', '\u2060', '\u3000'];

/** A real key made wrong in a way a human would not see: look-alike letters, fullwidth digits, invisible characters. */
export const disguisedKey = (keys: string[]) =>
  fc.tuple(fc.constantFrom(...keys), fc.nat(), fc.nat(), fc.constantFrom(...INVISIBLE), fc.boolean()).map(([key, at, pick, invisible, swap]) => {
    const spots = [...key].map((ch, i) => [ch, i] as const).filter(([ch]) => LOOKALIKE[ch]);
    const [ch, i] = spots[at % spots.length];
    const pos = at % (key.length + 1);
    return swap ? key.slice(0, i) + LOOKALIKE[ch][pick % LOOKALIKE[ch].length] + key.slice(i + 1) : key.slice(0, pos) + invisible + key.slice(pos);
  });

const encodable = (s: string) => {
  try {
    return encodeURIComponent(s) !== undefined;
  } catch {
    return false;
  }
};

/** Path segments the app gets to see: traversal, encoded NULs, SQL, ids up to the router's 200 characters. */
export const hostilePathSegment = fc.oneof(
  fc.constantFrom('..', '%2e%2e', '%2e%2e%2f%2e%2e', '..%2f..%2fv1%2fme', '%00', 'key_%00', '%2F', ';', '%3F', '%23', '%20', '%09', '%25'),
  fc.constantFrom("key_1' OR '1'='1", 'acct_1;drop table accounts', 'key_$1', '*', '-1', '0', '1e309', 'null', '__proto__', 'constructor').map(encodeURIComponent),
  fc.integer({ min: 50, max: 196 }).map((n) => 'key_' + 'A'.repeat(n)),
  hostileString.filter((s) => s.length < 60 && encodable(s)).map(encodeURIComponent).filter((s) => s.length > 0 && s.length <= 200),
);

/** Path segments refused by the router before the app: over 200 characters, or percent-encoding that is not UTF-8. */
export const routerRefusedSegment = fc.oneof(
  fc.integer({ min: 201, max: 8_000 }).map((n) => 'key_' + 'A'.repeat(n)),
  fc.constantFrom('%', '%zz', '%ff%fe', '%ED%A0%80', '%C0%AF', '%u0000', 'key_%E2%82'),
);

/** encodeURIComponent, except that it does not throw on lone surrogates (they go out as U+FFFD). */
export function percentEncode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
  }
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');
/** Cursors shaped like the API's own (`<ISO date>|<id>`, `seq:<n>`), with any date JavaScript can hold. */
export const garbageCursor = fc.oneof(
  fc.tuple(anyDate, fc.constantFrom('key_a', 'acct_a', 'evt_a', 'plan_a', 'x_1')).map(([d, id]) => b64url(`${d.toISOString()}|${id}`)),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => b64url(`seq:${n}`)),
);

/** Values for query parameters: out-of-range limits, garbage cursors (base64 or not), bad dates and enums. */
export const hostileQueryValue = fc.oneof(
  fc.constantFrom('0', '-1', '101', '1e309', 'NaN', 'abc', '1.5', '', '0x10', '20 ', ' 20', '1e2', '-0', '99999999999999999999').map(percentEncode),
  fc.uint8Array({ maxLength: 150 }).map((b) => Buffer.from(b).toString('base64url')),
  fc.tuple(hostileString.filter((s) => s.length < 300), hostileString.filter((s) => s.length < 300)).map(([a, b]) => Buffer.from(`${a}|${b}`).toString('base64url')),
  fc.constantFrom('2024-01-01T00:00:00Z|a_b|c', 'seq:999999999999999999', 'seq:-1', 'seq:0', '|', 'seq:').map(b64url),
  hostileString.filter((s) => s.length < 3000).map(percentEncode),
  fc.constantFrom('%', '%zz', '%00', '%ff', '+', '&&', '==', '%26', '[]', 'a[b]=c'),
);

type Header = [string, string];
/** Header values the HTTP parser accepts (no CR, LF, NUL or other controls but tab). */
const headerSafe = (s: string) => s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');

/** X-API-Key or Authorization headers: real keys, disguised keys, whitespace, odd Bearer spelling, garbage. */
export function credentialHeader(keys: string[]): fc.Arbitrary<Header> {
  const key = fc.constantFrom(...keys);
  const credential = fc.oneof(
    key,
    disguisedKey(keys),
    fc.tuple(key, fc.constantFrom(' ', '\t', ' \t ', '\t\t')).map(([k, ws]) => k + ws),
    fc.tuple(fc.constantFrom(' ', '\t'), key).map(([ws, k]) => ws + k),
    key.chain((k) => fc.constantFrom(k.slice(0, -1), `${k}A`, k.toUpperCase(), k.replace(/_(live|test)_/, '_tеst_'), k.replace(/_live_|_test_/, (m) => (m === '_live_' ? '_test_' : '_live_')), `${k},${k}`, `"${k}"`)),
    hostileString.filter((s) => s.length < 2000).map(headerSafe),
  );
  const scheme = fc.constantFrom('Bearer ', 'bearer ', 'BEARER ', 'bEaReR ', 'Bearer  ', 'Bearer\t', ' Bearer ', 'Bearer', 'Bearer:', 'Bearer=', 'Token ', 'Basic ', 'Bearer\u00a0', 'Bеarer ', 'Bearer Bearer ', 'Bearer,');
  return fc.oneof(
    fc.tuple(fc.constantFrom('X-API-Key', 'x-api-key', 'X-API-KEY', 'X-Api-Key'), credential),
    fc.tuple(fc.constantFrom('Authorization', 'authorization'), fc.tuple(scheme, credential).map(([s, c]) => s + c)),
  );
}

/** Other headers the service reads or a proxy might act on, with hostile values. */
export const extraHeader: fc.Arbitrary<Header> = fc.tuple(
  fc.constantFrom('X-Request-Id', 'Origin', 'Referer', 'X-Forwarded-For', 'X-Account-Id', 'Accept', 'Cookie', 'X-HTTP-Method-Override', 'X-Original-URL', 'Forwarded', 'If-None-Match', 'Range'),
  hostileString.filter((s) => s.length < 4000).map(headerSafe),
);

/** Header sections over Node's 16 KB limit: one huge key, a huge Bearer token, or ~100 KB of headers. */
export const oversizedHeaders: fc.Arbitrary<Header[]> = fc.oneof(
  fc.integer({ min: 17_000, max: 120_000 }).map((n): Header[] => [['X-API-Key', 'A'.repeat(n)]]),
  fc.integer({ min: 17_000, max: 60_000 }).map((n): Header[] => [['Authorization', `Bearer ${'A'.repeat(n)}`]]),
  fc.integer({ min: 20, max: 110 }).map((n) => Array.from({ length: n }, (_, i): Header => [`X-Pad-${i}`, 'p'.repeat(1000)])),
);

/** Header sections the HTTP parser refuses or answers itself: CR/LF/NUL/CTL in a value, bad names, TE with CL, Expect. */
export const malformedHeaderSection = (keys: string[]): fc.Arbitrary<Header[]> =>
  fc.constantFrom(...keys).chain((k) =>
    fc.constantFrom<Header[]>(
      [['X-API-Key', `${k}\n`]], [['X-API-Key', `${k}\r`]], [['X-API-Key', `${k}\r\n continued`]], [['X-API-Key', `${k}\u0000`]], [['X-API-Key', `${k}\u0001`]],
      [['X-API-Key ', k]], [['X-АPI-Key', k]], [['X-API-Key', k], ['Transfer-Encoding', 'chunked'], ['Content-Length', '5']], [['X-API-Key', k], ['Expect', 'x-garbage']],
    ),
  );

const NOT_JSON = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/html', 'application/octet-stream', 'text/json', 'application/jsonx', 'json'];
const ODD_JSON = ['', 'application/json; charset=utf-16le', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/json;;', 'application/json, text/plain', 'application/json-patch+json', 'application/vnd.api+json', '*/*'];
/** A body with a content type that is not JSON (expect 415), an odd one (expect no particular status), or over 64 KiB (expect 413). */
export const contentTypeCase = fc.oneof(
  fc.tuple(fc.constantFrom(...NOT_JSON, ...ODD_JSON), fc.constantFrom('{"name":"x"}', 'name=x', '<a/>', '{}')).map(([type, body]) => ({ type, body, expect: NOT_JSON.includes(type) ? 415 : 0 })),
  fc.integer({ min: 64 * 1024 + 1, max: 200_000 }).map((n) => ({ type: 'application/json', body: `{"name":"${'x'.repeat(n)}"}`, expect: 413 })),
);

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** RFC 3339 date-times of years 0001-9999 (PostgreSQL has no year 0): any offset (-23:59..+23:59), 0-9 fraction digits, `T`/`t` and `Z`/`z`. */
export const rfc3339DateTime = fc
  .tuple(fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T23:59:59Z'), noInvalidDate: true }), fc.integer({ min: -1439, max: 1439 }), fc.nat(9), fc.boolean(), fc.boolean())
  .map(([at, offset, digits, lowerT, lowerZ]) => {
    const local = new Date(at.getTime() + offset * 60_000);
    const fraction = digits ? `.${pad(local.getUTCMilliseconds(), 3).padEnd(digits, '7').slice(0, digits)}` : '';
    const sign = offset < 0 ? '-' : '+';
    const zone = offset === 0 && digits % 2 ? (lowerZ ? 'z' : 'Z') : `${sign}${pad(Math.floor(Math.abs(offset) / 60), 2)}:${pad(Math.abs(offset) % 60, 2)}`;
    const text =
      `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)}${lowerT ? 't' : 'T'}` +
      `${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)}${fraction}${zone}`;
    return text;
  });

/** ISO 8601 forms outside RFC 3339, impossible dates, and other texts `Date` or a validator might take for a date. */
export const NOT_RFC3339 = [
  '2026-W01', '2026-W01-1', '2026W011', '2026-001', '2026001', '20260101T000000Z', '20260101T000000+0100', '20260101', '+2026-01-01T00:00:00Z',
  '+002026-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '2026-02-30T00:00:00Z', '2025-02-29T12:00:00Z', '2026-04-31T00:00:00Z',
  '2026-13-01T00:00:00Z', '2026-00-01T00:00:00Z', '2026-01-00T00:00:00Z', '2026-01-32T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z',
  '2016-12-31T23:59:60Z', '2026-01-01T00:00:00+24:00', '2026-01-01T00:00:00-05:60', '2026-01-01T00:00:00+0100', '2026-01-01T00:00:00+01', '2026-01-01 00:00:00Z',
  '2026-01-01T00:00Z', '2026-01-01T00Z', '2026-01-01', '2026-01', '2026', '2026-01-01T00:00:00', '2026-01-01T00:00:00.Z', '2026-01-01T00:00:00,5Z',
  '2026-01-01T00:00:00.1234567890Z', 'Thu, 01 Jan 2026 00:00:00 GMT', 'Jan 1 2026', '1767225600', '1767225600000', '2026-1-1T0:0:0Z', '２０２６-01-01T00:00:00Z',
  ' 2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z ', '2026-01-01T00:00:00Z\n', '2026-01-01T00:00:00ZZ', '2026-01-01TT00:00:00Z', '9999-12-31T23:59:59-00:01',
  '0001-01-01T00:00:00+00:01', '0000-06-15T00:00:00Z', 'P1D', '2026-01-01/2026-02-01', 'now', 'today',
];
/** Generated shapes of the same kinds: week, ordinal and basic-format dates, expanded years, out-of-range fields. */
export const notRfc3339DateTime = fc.oneof(
  fc.constantFrom(...NOT_RFC3339),
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 53 }), fc.integer({ min: 1, max: 7 })).map(([y, w, d]) => `${pad(y, 4)}-W${pad(w, 2)}-${d}`),
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 366 })).map(([y, d]) => `${pad(y, 4)}-${pad(d, 3)}T00:00:00Z`),
  fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString().replace(/[-:]|\.\d+/g, '')),
  fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 275_759 })).map(([s, y]) => `${s}${pad(y, 6)}-06-15T12:00:00Z`),
  fc.tuple(fc.integer({ min: 13, max: 99 }), fc.integer({ min: 32, max: 99 }), fc.integer({ min: 24, max: 99 }), fc.nat(2)).map(([mo, d, h, which]) =>
    [`2026-${mo}-01T00:00:00Z`, `2026-01-${d}T00:00:00Z`, `2026-01-01T${h}:00:00Z`][which],
  ),
);

/** IP text that is not standard: legacy IPv4 (hex, octal, integer, short forms), zone ids, brackets, ports, whitespace, markup. */
export const nonCanonicalIp = fc.oneof(
  fc.ipV4Extended().filter((s) => !/^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s)),
  fc.integer({ min: 0, max: 0xffffffff }).chain((n) => fc.constantFrom(String(n), `0x${n.toString(16)}`, `0${n.toString(8)}`)),
  fc.tuple(fc.ipV6(), fc.constantFrom('%eth0', '%25eth0', '%1', '%')).map(([a, zone]) => a + zone),
  fc.tuple(fc.ipV4(), fc.constantFrom((a: string) => `[${a}]`, (a: string) => `${a}:80`, (a: string) => ` ${a}`, (a: string) => `${a}\t`, (a: string) => `${a}.`, (a: string) => `${a}/32`)).map(([a, f]) => f(a)),
  fc.ipV6().map((a) => `[${a}]`),
  fc.constantFrom('<script>alert(1)</script>', '10.1', '10.1.2', '127.1', '::ffff:0x7f.0.0.1', '::ffff:127.1', '1::2::3', 'localhost', '', ' ', 'null', '1.2.3.4,5.6.7.8', '::ffff:01.2.3.4'),
);
/** Standard IP text, the IPv4-mapped and upper-case spellings included. */
export const canonicalIpText = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV6().map((a) => a.toUpperCase()), fc.ipV4().map((a) => `::ffff:${a}`));

/** IP rules: standard addresses with any prefix length, and the refused kinds (bad lengths, zone ids, legacy forms). */
export const ipRule = fc.oneof(
  fc.tuple(fc.ipV4(), fc.option(fc.integer({ min: 0, max: 32 }), { nil: undefined })).map(([a, n]) => ({ rule: n === undefined ? a : `${a}/${n}`, valid: true })),
  fc.tuple(fc.ipV6(), fc.option(fc.integer({ min: 0, max: 128 }), { nil: undefined })).map(([a, n]) => ({ rule: n === undefined ? a : `${a}/${n}`, valid: true })),
  fc.tuple(fc.ipV4(), fc.integer({ min: 96, max: 128 })).map(([a, n]) => ({ rule: `::ffff:${a}/${n}`, valid: true })),
  fc.tuple(fc.ipV4(), fc.oneof(fc.integer({ min: 33, max: 999 }).map(String), fc.constantFrom('08', '-1', '', ' 8', '8 ', '1e1', '0x8'))).map(([a, n]) => ({ rule: `${a}/${n}`, valid: false })),
  fc.tuple(fc.ipV6(), fc.integer({ min: 129, max: 999 })).map(([a, n]) => ({ rule: `${a}/${n}`, valid: false })),
  nonCanonicalIp.filter((s) => !s.endsWith('/32')).map((rule) => ({ rule, valid: false })),
);

/** Referrer patterns: valid ones (with and without default ports), and the refused kinds. */
export const referrerPattern = fc.oneof(
  fc.tuple(fc.constantFrom('https', 'http'), fc.boolean(), fc.domain(), fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined })).map(([scheme, star, host, port]) => ({
    pattern: `${scheme}://${star ? '*.' : ''}${host}${port === undefined ? '' : `:${port}`}`,
    defaultPort: port === (scheme === 'https' ? 443 : 80),
  })),
  fc.tuple(fc.constantFrom('https', 'http'), fc.domain()).map(([scheme, host]) => ({ pattern: `${scheme}://${host}:${scheme === 'https' ? 443 : 80}`, defaultPort: true })),
  fc.tuple(fc.domain(), fc.oneof(fc.integer({ min: 65_536, max: 9_999_999 }).map(String), fc.constantFrom('0', '00', '0443', '', '-1', '443x'))).map(([host, port]) => ({ pattern: `https://${host}:${port}`, refused: true })),
  fc.constantFrom('com', 'co.uk', 'github.io', 'org', 'blogspot.com', 'herokuapp.com', 's3.amazonaws.com', 'pages.dev', 'localhost', 'uk', 'xn--p1ai').map((suffix) => ({ pattern: `https://*.${suffix}`, refused: true })),
  fc.tuple(fc.domain(), fc.constantFrom('/', '/path', '?q=1', '#x', '/*')).map(([host, rest]) => ({ pattern: `https://${host}${rest}`, refused: true })),
  fc.domain().chain((host) => fc.constantFrom(`https://user@${host}`, `ftp://${host}`, `//${host}`, host, `https://*.*.${host}`, `https://${host}.`, `javascript://${host}`)).map((pattern) => ({ pattern, refused: true })),
);

/** A key placed where URLs carry it: query names and values (repeated, bare), `;` parameters, path segments, fragments, percent-encoded. */
export const keyInUrl = (keys: string[]) =>
  fc.tuple(fc.constantFrom(...keys), fc.nat(), fc.constantFrom('/v1/me', '/v1/api-keys', '/health/live', '/openapi.json', '/docs', '/v1/no-such-thing', '/'), fc.boolean()).map(([key, pick, path, encode]) => {
    const k = encode ? key.replace(/[_a-z]/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : key;
    const places = [`${path}?api_key=${k}`, `${path}?${k}`, `${path}?a=1&a=${k}`, `${path}?a=${k}&a=1`, `${path};key=${k}`, `${path};${k}`, `${path}#${k}`, `${path}/${k}`, `${path}?q=x#${k}`, `${path}?x[y]=${k}`, `/${k}${path}`];
    return places[pick % places.length];
  });

/** A value for a named query parameter: cursors and dates get shapes close to valid ones more often. */
export const queryValueFor = (name: string) =>
  name === 'cursor'
    ? fc.oneof(garbageCursor, hostileQueryValue)
    : /since|until/.test(name)
      ? fc.oneof(anyDate.map((d) => percentEncode(d.toISOString())), notRfc3339DateTime.map(percentEncode), rfc3339DateTime.map(percentEncode), hostileQueryValue)
      : hostileQueryValue;
