import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAccount } from './utils/api';
import { getPublicSuffix } from 'tldts';
import {
  canonicalIpText, contentTypeCase, credentialHeader, deepJson, extraHeader, hostileBody, hostileKey, hostilePathSegment, ipRule, keyInUrl, malformedHeaderSection,
  nonCanonicalIp, notRfc3339DateTime, oversizedHeaders, percentEncode, garbageCursor, queryValueFor, referrerPattern, rfc3339DateTime, routerRefusedSegment,
  unstorableTextBody,
} from './utils/hostile-input';
import { rawRequest, rawStats, type RawResponse } from './utils/raw-http';
import { createTestApp, type TestApp } from './utils/test-app';

/**
 * Property-based hostile requests against every operation in openapi.json: whatever arrives, the
 * answer is never a 5xx, every 4xx is the contract's error body, and nothing leaks (stack traces,
 * SQL, key secrets). The app trusts X-Forwarded-For from loopback and each request comes from its
 * own address, so the per-IP budgets (30 invalid keys a minute) do not turn the run into 429s.
 */
type Schema = Record<string, any>;
const spec = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
const resolve = (s: Schema): Schema => (s.$ref ? resolve(spec.components.schemas[s.$ref.split('/').pop()]) : s.allOf?.length === 1 ? resolve(s.allOf[0]) : s);
const reaches = (node: unknown, target: string, seen = new Set<string>()): boolean =>
  [...JSON.stringify(node ?? null).matchAll(/#\/components\/schemas\/(\w+)/g)].some(
    ([, name]) => name === target || (!seen.has(name) && seen.add(name) && reaches(spec.components.schemas[name], target, seen)),
  );
const CODES: string[] = spec.components.schemas.ErrorCode.enum;

interface Endpoint { method: string; path: string; secured: boolean; admin: boolean; body?: Schema; query: string[]; params: string[]; returnsSecret: boolean }
const ENDPOINTS: Endpoint[] = Object.entries<Record<string, any>>(spec.paths).flatMap(([path, item]) =>
  Object.entries<any>(item)
    .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
    .map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      secured: (op.security ?? spec.security ?? []).length > 0,
      admin: path.startsWith('/v1/admin/') || /needs scope `admin`/.test(op.responses?.['403']?.description ?? ''),
      body: op.requestBody?.content?.['application/json']?.schema,
      query: (op.parameters ?? []).filter((p: Schema) => p.in === 'query').map((p: Schema) => p.name),
      params: (op.parameters ?? []).filter((p: Schema) => p.in === 'path').map((p: Schema) => p.name),
      returnsSecret: Object.entries<any>(op.responses).some(([status, r]) => status.startsWith('2') && reaches(r, 'ApiKeyWithSecretDto')),
    })),
);
const label = (e: Endpoint) => `${e.method} ${e.path}`;
const WITH_BODY = ENDPOINTS.filter((e) => e.body);
const WITH_PARAMS = ENDPOINTS.filter((e) => e.params.length);
// GitHub's leak reports take raw signed bytes up to 1 MiB, and this app has no keys file (the route
// is then 404); their own hostile cases are in secret-scanning.e2e-spec.ts.
const SIGNED_RAW_BODY = new Set(['/v1/secret-scanning/github']);
const TAKES_BODY = ENDPOINTS.filter((e) => ['POST', 'PUT', 'PATCH'].includes(e.method) && !SIGNED_RAW_BODY.has(e.path));

/** BAD_INPUT_SCALE=10 runs ten times as many cases. */
const SCALE = Number(process.env.BAD_INPUT_SCALE ?? 1);
const SECRET = /[a-z]{2,8}_(live|test)_[0-9A-Za-z]{48}/;
const STACK = /\n\s*at |\bat [\w.<>$[\] ]*\(?(\/|file:|node:)|node_modules|\.ts:/;
const SQL_ALWAYS = /syntax error at|violates|relation "/i;
const SQL_ECHOABLE = /select |insert into/i; // our own input holds these, and stored data is echoed by lists

describe('hostile input (e2e, property-based)', () => {
  let t: TestApp;
  let port: number;
  let ip = 0;
  const started = Date.now();
  const ctx = { customer: '', customerTest: '', operator: '', victimKey: '', victimAccount: '', victimPlan: 'victim' };
  const keys = () => [ctx.customer, ctx.customerTest, ctx.operator];

  beforeAll(async () => {
    t = await createTestApp({ TRUST_PROXY: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    const op = t.operatorKey;
    const plan = { name: 'Fuzz', api_access: true, max_keys: null, rate_limit_per_minute: 1_000_000, rate_limit_per_hour: 100_000_000 };
    await t.http.post('/v1/admin/plans').set('X-API-Key', op).send({ slug: 'fuzz', ...plan }).expect(201);
    await t.http.post('/v1/admin/plans').set('X-API-Key', op).send({ slug: ctx.victimPlan, ...plan }).expect(201);
    const me = await t.http.get('/v1/me').set('X-API-Key', op).expect(200);
    await t.http.patch(`/v1/admin/accounts/${me.body.data.account.id}`).set('X-API-Key', op).send({ plan: 'fuzz' }).expect(200);
    const customer = await createAccount(t.http, op, { plan: 'fuzz' });
    const victim = await t.http.post('/v1/api-keys').set('X-API-Key', customer.key).send({ name: 'victim' }).expect(201);
    const testKey = await t.http.post('/v1/api-keys').set('X-API-Key', customer.key).send({ name: 'test', environment: 'test' }).expect(201);
    Object.assign(ctx, { customer: customer.key, customerTest: testKey.body.data.key, operator: op, victimKey: victim.body.data.id });
    ctx.victimAccount = (await createAccount(t.http, op, { plan: 'fuzz', email: 'victim@acme.test' })).accountId;
  });
  afterAll(async () => {
    process.stdout.write(`\nbad-input: ${rawStats.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s; statuses ${JSON.stringify(rawStats.statuses)}\n`);
    await t?.close();
  });

  const send = (method: string, path: string, headers: [string, string][], body?: string | Buffer) =>
    rawRequest(port, method, path, [['X-Forwarded-For', `10.${(++ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`], ...headers], body);
  const auth = (e: Endpoint): [string, string][] => (e.secured ? [['X-API-Key', e.admin ? ctx.operator : ctx.customer]] : []);
  /** Real ids (so validation is reached) only where the request cannot revoke or delete the fixtures. */
  const fill = (e: Endpoint, real: boolean) =>
    e.path.replace(/\{\w+\}/g, () =>
      !real ? 'key_0000nonexistent' : e.path.startsWith('/v1/api-keys') ? ctx.victimKey : e.path.startsWith('/v1/admin/accounts') ? ctx.victimAccount : ctx.victimPlan,
    );

  /** The assertions every answer must pass. */
  function check(e: Endpoint, res: RawResponse, sent: string, opts: { allowReset?: boolean; contractBody?: boolean } = {}) {
    const fail = (why: string) => {
      throw new Error(`${why}\n  request: ${e.method} ${sent.slice(0, 400)}\n  answer:  ${res.status} ${JSON.stringify(res.headers).slice(0, 300)} ${res.text.slice(0, 600)}`);
    };
    if (res.status === 0) return opts.allowReset ? undefined : fail(`connection closed without an answer (reset: ${res.reset})`);
    if (res.status >= 500) fail('5xx answer');
    if (res.status >= 400 && opts.contractBody !== false) {
      let body: Schema;
      try {
        body = JSON.parse(res.text);
      } catch {
        return fail('4xx body is not JSON');
      }
      const ok = body?.success === false && typeof body.error === 'string' && body.error && CODES.includes(body.code) && typeof body.request_id === 'string' && body.request_id;
      if (!ok) fail('4xx body is not the contract error body {success:false, error, code, request_id}');
    }
    let text = `${JSON.stringify(res.headers)}\n${res.text}`;
    if (e.returnsSecret && res.status < 300) text = text.replace(/"key":"[a-z]{2,8}_(live|test)_[0-9A-Za-z]{48}"/g, '"key":"<own>"');
    if (SECRET.test(text)) fail('a key secret in the answer');
    if (STACK.test(text)) fail('a stack trace or source path in the answer');
    if (SQL_ALWAYS.test(text) || (res.status >= 300 && SQL_ECHOABLE.test(text) && !SQL_ECHOABLE.test(sent))) fail('an SQL fragment in the answer');
  }
  const property = <T>(runs: number, arb: fc.Arbitrary<T>, run: (v: T) => Promise<void>) =>
    fc.assert(fc.asyncProperty(arb, run), { numRuns: Math.ceil(runs * SCALE) });

  it.each(WITH_BODY.map((e) => [label(e), e] as const))('%s: hostile JSON bodies', async (_l, e) => {
    await property(60, hostileBody(e.body!, resolve, keys()), async (body) => {
      const path = fill(e, true);
      const res = await send(e.method, path, [...auth(e), ['Content-Type', 'application/json']], body);
      check(e, res, `${path} ${Buffer.isBuffer(body) ? `<bytes> ${body.toString('latin1')}` : body}`);
    });
  }, 120_000);

  it.each(WITH_BODY.filter((e) => unstorableTextBody(e.body!, resolve)).map((e) => [label(e), e] as const))(
    '%s: lone surrogates, NUL or control characters in a text field, the rest valid: never 5xx',
    async (_l, e) => {
      await property(40, unstorableTextBody(e.body!, resolve)!, async (body) => {
        const path = fill(e, true);
        check(e, await send(e.method, path, [...auth(e), ['Content-Type', 'application/json']], body), `${path} ${body}`);
      });
    },
    120_000,
  );

  it('deeply nested JSON (100 to 10,000 levels, under 64 KiB) in any body field: never 5xx', async () => {
    const arb = fc.constantFrom(...WITH_BODY).chain((e) => fc.tuple(fc.constant(e), fc.constantFrom('', ...Object.keys(resolve(e.body!).properties ?? {})), deepJson));
    await property(40, arb, async ([e, field, deep]) => {
      const path = fill(e, true);
      const body = field ? `{${JSON.stringify(field)}:${deep}}` : deep;
      check(e, await send(e.method, path, [...auth(e), ['Content-Type', 'application/json']], body), `${path} ${body}`);
    });
  }, 120_000);

  it.each(TAKES_BODY.map((e) => [label(e), e] as const))('%s: wrong content types (415), oversized bodies (413)', async (_l, e) => {
    await property(25, contentTypeCase, async ({ type, body, expect: status }) => {
      const path = fill(e, false);
      const res = await send(e.method, path, [...auth(e), ['Content-Type', type]], body);
      check(e, res, `${path} Content-Type: ${type} (${body.length} bytes) ${body.slice(0, 60)}`);
      if (status && res.status !== status) throw new Error(`${e.method} ${path} with Content-Type ${type}, ${body.length} bytes: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
    });
  }, 120_000);

  it.each(ENDPOINTS.map((e) => [label(e), e] as const))('%s: hostile query strings', async (_l, e) => {
    const name = e.query.length ? fc.oneof({ arbitrary: fc.constantFrom(...e.query), weight: 4 }, { arbitrary: hostileKey.map(percentEncode), weight: 1 }) : hostileKey.map(percentEncode);
    const pair = name.chain((n) => fc.tuple(fc.constant(n), queryValueFor(n).filter((v) => v.length <= 1500)));
    const arb = fc.array(pair, { minLength: 1, maxLength: 5 });
    await property(e.query.length ? 60 : 15, arb, async (pairs) => {
      const path = `${fill(e, e.method === 'GET')}?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
      check(e, await send(e.method, path, auth(e)), path);
    });
  }, 120_000);

  it.each(ENDPOINTS.filter((e) => e.query.includes('cursor')).map((e) => [label(e), e] as const))('%s: cursors shaped like real ones, any date or sequence', async (_l, e) => {
    await property(30, garbageCursor, async (cursor) => {
      const path = `${fill(e, true)}?cursor=${cursor}`;
      check(e, await send(e.method, path, auth(e)), path);
    });
  }, 120_000);

  it.each(WITH_PARAMS.map((e) => [label(e), e] as const))('%s: hostile path parameters', async (_l, e) => {
    await property(40, hostilePathSegment, async (segment) => {
      const path = e.path.replace(/\{\w+\}/g, segment);
      check(e, await send(e.method, path, auth(e), e.body ? '{}' : undefined), path);
    });
  }, 120_000);

  /** Whether a 400 names `field` in its details, with a message matching `message` when given. */
  const refusedOn = (res: RawResponse, field: string, message?: RegExp) => {
    if (res.status !== 400) return false;
    const details: { field: string; message: string }[] = JSON.parse(res.text).details ?? [];
    return details.some((d) => d.field === field && (!message || message.test(d.message)));
  };
  const json: [string, string] = ['Content-Type', 'application/json'];
  const endpoint = (method: string, path: string) => ENDPOINTS.find((e) => e.method === method && e.path === path)!;
  const RFC3339_MESSAGE = /RFC 3339/;
  const dates = fc.oneof(notRfc3339DateTime.map((text) => ({ text, valid: false })), rfc3339DateTime.map((text) => ({ text, valid: true })));
  const DATE_QUERIES = ENDPOINTS.flatMap((e) => e.query.filter((q) => q === 'since' || q === 'until').map((q) => [`${label(e)} ?${q}`, e, q] as const));
  const DATE_BODIES = WITH_BODY.filter((e) => resolve(e.body!).properties?.expires_at).map((e) => [label(e), e] as const);

  it.each(DATE_QUERIES)('%s: a date that is not RFC 3339 is a 400 on the field; an RFC 3339 one is never refused for its form', async (_l, e, name) => {
    await property(40, dates, async ({ text, valid }) => {
      const path = `${fill(e, true)}?${name}=${percentEncode(text)}`;
      const res = await send(e.method, path, auth(e));
      check(e, res, path);
      if (refusedOn(res, name, RFC3339_MESSAGE) === valid) throw new Error(`${path} (${valid ? 'RFC 3339' : 'not RFC 3339'}): ${res.status} ${res.text.slice(0, 300)}`);
    });
  }, 120_000);

  it.each(DATE_BODIES)('%s: expires_at that is not RFC 3339 is a 400 on the field; an RFC 3339 one is never refused for its form', async (_l, e) => {
    await property(40, dates, async ({ text, valid }) => {
      const path = fill(e, true);
      const body = JSON.stringify(e.method === 'POST' ? { name: 'fuzz', expires_at: text } : { expires_at: text });
      const res = await send(e.method, path, [...auth(e), json], body);
      check(e, res, `${path} ${body}`);
      if (refusedOn(res, 'expires_at', RFC3339_MESSAGE) === valid) throw new Error(`${path} ${body}: ${res.status} ${res.text.slice(0, 300)}`);
    });
  }, 120_000);

  it('POST /v1/keys/verify: an ip that is not standard address text is a 400 on ip; standard text is checked', async () => {
    const e = endpoint('POST', '/v1/keys/verify');
    const ips = fc.oneof(nonCanonicalIp.map((ip) => ({ ip, valid: false })), canonicalIpText.map((ip) => ({ ip, valid: true })));
    await property(100, ips, async ({ ip, valid }) => {
      const body = JSON.stringify({ key: ctx.customerTest, ip });
      const res = await send('POST', '/v1/keys/verify', [['X-API-Key', ctx.customer], json], body);
      check(e, res, body);
      if (valid ? res.status !== 200 : !refusedOn(res, 'ip')) throw new Error(`verify with ip ${JSON.stringify(ip)}: ${res.status} ${res.text.slice(0, 300)}`);
    });
  }, 120_000);

  it('POST /v1/api-keys: an IP rule is refused unless standard, and stored in a normal form that is its own normal form', async () => {
    const e = endpoint('POST', '/v1/api-keys');
    const create = (rules: string[]) => send('POST', '/v1/api-keys', [['X-API-Key', ctx.customer], json], JSON.stringify({ name: 'fuzz', allowed_ips: rules }));
    await property(60, ipRule, async ({ rule, valid }) => {
      const res = await create([rule]);
      check(e, res, rule);
      if (!valid) {
        if (!refusedOn(res, 'allowed_ips')) throw new Error(`accepted the IP rule ${JSON.stringify(rule)}: ${res.status} ${res.text.slice(0, 300)}`);
        return;
      }
      if (res.status !== 201) throw new Error(`refused the IP rule ${JSON.stringify(rule)}: ${res.status} ${res.text.slice(0, 300)}`);
      const [stored] = JSON.parse(res.text).data.allowed_ips as string[];
      if (/[A-Z%]/.test(stored) || /^::ffff:[\d.]+(\/|$)/i.test(stored)) throw new Error(`${rule} stored as ${stored}`);
      const again = await create([stored]);
      if (again.status !== 201 || JSON.parse(again.text).data.allowed_ips[0] !== stored) throw new Error(`${stored} is not stored as itself: ${again.text.slice(0, 300)}`);
    });
  }, 120_000);

  it('POST /v1/api-keys: referrer patterns with bad ports, paths or wildcards over a public suffix are refused; default ports are dropped', async () => {
    const e = endpoint('POST', '/v1/api-keys');
    await property(80, referrerPattern, async (c) => {
      const body = JSON.stringify({ name: 'fuzz', allowed_referrers: [c.pattern] });
      const res = await send('POST', '/v1/api-keys', [['X-API-Key', ctx.customer], json], body);
      check(e, res, body);
      const wildcardBase = /^https?:\/\/\*\.([^:/]+)/.exec(c.pattern)?.[1];
      const overSuffix = wildcardBase !== undefined && getPublicSuffix(wildcardBase, { allowPrivateDomains: true }) === wildcardBase;
      const refused = 'refused' in c || overSuffix || c.pattern.length > 253;
      if (refused !== refusedOn(res, 'allowed_referrers')) throw new Error(`${c.pattern}: ${res.status} ${res.text.slice(0, 300)}`);
      if (refused) return;
      const stored = JSON.parse(res.text).data.allowed_referrers[0];
      const expected = 'defaultPort' in c && c.defaultPort ? c.pattern.replace(/:\d+$/, '') : c.pattern;
      if (stored !== expected) throw new Error(`${c.pattern} stored as ${stored}, expected ${expected}`);
    });
  }, 120_000);

  it('a key anywhere in a URL (query, path, ; parameters, fragment, percent-encoded) is refused with 401 on every path', async () => {
    const e: Endpoint = { method: 'GET', path: '(any)', secured: false, admin: false, query: [], params: [], returnsSecret: false };
    await property(100, fc.tuple(keyInUrl(keys()), fc.boolean()), async ([url, withHeader]) => {
      const res = await send('GET', url, withHeader ? [['X-API-Key', ctx.customer]] : []);
      check(e, res, url);
      if (res.status !== 401 || JSON.parse(res.text).code !== 'UNAUTHORIZED') throw new Error(`GET ${url.slice(0, 200)}: ${res.status} ${res.text.slice(0, 300)}`);
    });
  }, 120_000);

  it('hostile, disguised, duplicated and conflicting credentials never authenticate, on any endpoint', async () => {
    const arb = fc.tuple(fc.constantFrom(...ENDPOINTS), fc.array(credentialHeader(keys()), { maxLength: 3 }), fc.array(extraHeader, { maxLength: 3 }));
    const ows = (v: string) => v.replace(/^[ \t]+|[ \t]+$/g, '');
    await property(300, arb, async ([e, creds, extra]) => {
      const path = fill(e, e.method === 'GET');
      const res = await send(e.method, path, [...creds, ...extra] as [string, string][]);
      check(e, res, `${path} ${JSON.stringify([...creds, ...extra])}`);
      // The only credentials that may authenticate: one exact key, once per header, the same in both.
      const given = creds.map(([n, v]) => (n.toLowerCase() === 'x-api-key' ? ows(v) : (/^bearer[ \t]+(\S*)[ \t]*$/i.exec(ows(v))?.[1] ?? '')));
      const names = creds.map(([n]) => n.toLowerCase());
      const exact = given.length > 0 && new Set(names).size === names.length && new Set(given).size === 1 && keys().includes(given[0]);
      if (e.secured && !exact && res.status < 400) throw new Error(`${label(e)} authenticated with ${JSON.stringify(creds)}: ${res.status}`);
    });
  }, 120_000);

  /** Requests that Node's HTTP parser or Fastify's router refuse before the app (its filter, ids, headers) sees them. */
  type Refusal = { e: Endpoint; path: string; headers: [string, string][] };
  const at = <T>(list: Endpoint[], arb: fc.Arbitrary<T>, build: (e: Endpoint, v: T) => Partial<Refusal>): fc.Arbitrary<Refusal> =>
    fc.tuple(fc.constantFrom(...list), arb).map(([e, v]) => ({ e, path: fill(e, false), headers: [], ...build(e, v) }));
  const REFUSED_BEFORE_THE_APP: Record<string, [mayReset: boolean, arb: () => fc.Arbitrary<Refusal>]> = {
    'oversized headers (17-120 KB)': [true, () => at(ENDPOINTS, oversizedHeaders, (_e, headers) => ({ headers }))],
    'URLs over 16 KB': [true, () => at(ENDPOINTS, fc.integer({ min: 17_000, max: 60_000 }), (e, n) => ({ path: `${fill(e, false)}?q=${'a'.repeat(n)}` }))],
    'malformed header sections (CR, LF, NUL or CTL in a value, bad names, TE with CL, Expect)': [false, () => at(ENDPOINTS, malformedHeaderSection(keys()), (_e, headers) => ({ headers }))],
    'ids the router refuses (over 200 characters, percent-encoding that is not UTF-8)': [false, () => at(WITH_PARAMS, routerRefusedSegment, (e, seg) => ({ path: e.path.replace(/\{\w+\}/g, seg), headers: auth(e) }))],
  };
  it.each(Object.keys(REFUSED_BEFORE_THE_APP).flatMap((name) => [[name, 'a 4xx, never 5xx', false], [name, 'the contract error body', true]] as const))(
    'refused before the app, %s: %s',
    async (name, _what, contractBody) => {
      const [mayReset, arb] = REFUSED_BEFORE_THE_APP[name];
      await property(contractBody ? 15 : 30, arb(), async ({ e, path, headers }) => {
        const res = await send(e.method, path, headers);
        check(e, res, `${path} ${JSON.stringify(headers)}`, { allowReset: mayReset, contractBody });
        if (res.status && (res.status < 400 || res.status >= 500)) throw new Error(`expected a 4xx, got ${res.status}: ${e.method} ${path.slice(0, 200)}`);
      });
    },
    120_000,
  );

  it('does not echo a key sent as X-Request-Id (request ids go to logs and audit events)', async () => {
    for (const key of keys()) {
      const e = ENDPOINTS.find((x) => x.path === '/v1/me')!;
      check(e, await send('GET', '/v1/me', [['X-API-Key', ctx.customer], ['X-Request-Id', key]]), `/v1/me X-Request-Id: ${key.slice(0, 12)}…`);
    }
  });

  it('still answers /health/ready and still accepts a valid key afterwards', async () => {
    expect((await send('GET', '/health/ready', [])).status).toBe(200);
    for (const key of keys()) expect((await send('GET', '/v1/me', [['X-API-Key', key]])).status).toBe(200);
  });
});
