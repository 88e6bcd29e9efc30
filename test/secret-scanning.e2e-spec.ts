import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

const PATH = '/v1/secret-scanning/github';
const dir = mkdtempSync(join(tmpdir(), 'latchkey-scanning-'));
const keysFile = join(dir, 'github-keys.json');

interface Signer {
  id: string;
  privateKey: KeyObject;
  pem: string;
}
const signer = (id: string): Signer => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { id, privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};
const writeKeys = (...signers: Signer[]) =>
  writeFileSync(keysFile, JSON.stringify({ public_keys: signers.map((s, i) => ({ key_identifier: s.id, key: s.pem, is_current: i === 0 })) }));

const github = signer('90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const entry = (token: string, url = 'https://github.com/octocat/hello/blob/abc123/config.js') => ({ token, type: 'latchkey_api_key', url, source: 'content' });

/** Posts `body` (text, sent byte for byte) signed by `by`, as GitHub does. */
function report(t: TestApp, body: string, by: Signer = github, signature = sign('sha256', Buffer.from(body), by.privateKey).toString('base64')) {
  return t.http
    .post(PATH)
    .set('Content-Type', 'application/json')
    .set('Github-Public-Key-Identifier', by.id)
    .set('Github-Public-Key-Signature', signature)
    .send(body);
}

/** The same, in chunked transfer encoding (no Content-Length). */
function chunkedReport(t: TestApp, body: string): Promise<{ status: number; body: string }> {
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const signature = sign('sha256', Buffer.from(body), github.privateKey).toString('base64');
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: PATH, method: 'POST', headers: { 'Content-Type': 'application/json', 'Github-Public-Key-Identifier': github.id, 'Github-Public-Key-Signature': signature } },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: data }));
      },
    );
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.slice(i, i + 64 * 1024));
    req.end();
  });
}

const sql = async <T = Record<string, unknown>>(t: TestApp, query: string, params: unknown[] = []): Promise<T[]> =>
  (await t.orm.em.fork().getConnection().execute(query, params)) as T[];

/** A customer with a key to be leaked and a second key to read its audit log with. */
async function customer(t: TestApp) {
  const acct = await createAccount(t.http, t.operatorKey, { plan: 'pro' });
  const reader = (await t.http.post('/v1/api-keys').set('X-API-Key', acct.key).send({ name: 'reader' }).expect(201)).body.data;
  return { ...acct, readerKey: reader.key as string };
}
const leakEvents = async (t: TestApp, readerKey: string, keyId: string) =>
  (await t.http.get(`/v1/audit-events?key_id=${keyId}`).set('X-API-Key', readerKey).expect(200)).body.data as { action: string; actor: object; changes: object }[];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GitHub secret scanning (e2e, LEAKED_KEY_ACTION=revoke)', () => {
  let t: TestApp;
  beforeAll(async () => {
    writeKeys(github);
    t = await createTestApp({ SECRET_SCANNING_KEYS_FILE: keysFile });
  });
  afterAll(() => t.close());

  it('revokes a leaked live key before answering, labels it, and records the leak without the token', async () => {
    const acct = await customer(t);
    await t.http.get('/v1/me').set('X-API-Key', acct.key).expect(200); // cached now: the revocation must reach the cache
    const body = JSON.stringify([entry(acct.key)]);
    const res = await report(t, body).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual([{ token_hash: sha256(acct.key), token_type: 'latchkey_api_key', label: 'true_positive' }]);

    const refused = await t.http.get('/v1/me').set('X-API-Key', acct.key).expect(401);
    expect(refused.body.code).toBe('API_KEY_REVOKED');

    const events = await leakEvents(t, acct.readerKey, acct.keyId);
    expect(events.map((e) => e.action)).toEqual(['api_key.revoked', 'api_key.leaked', 'api_key.created']);
    expect(events[1]).toMatchObject({ actor: { type: 'system', id: 'system' }, changes: { source: 'content', url: entry('').url } });
    expect(events[0].actor).toEqual({ type: 'system', id: 'system' });
    const stored = await sql(t, 'select changes::text as c from audit_events where target_id = ?', [acct.keyId]);
    expect(JSON.stringify(stored)).not.toContain(acct.key.slice(8));

    // Both webhooks are in the outbox, committed with the change; neither carries the secret.
    const outbox = await sql<{ type: string; body: string }>(t, 'select type, body from webhook_events where account_id = ? order by created_at, type', [acct.accountId]);
    expect(outbox.map((e) => e.type)).toEqual(expect.arrayContaining(['api_key.leaked', 'api_key.revoked']));
    const leaked = JSON.parse(outbox.find((e) => e.type === 'api_key.leaked')!.body);
    expect(leaked.data).toMatchObject({ environment: 'live', object: { id: acct.keyId, status: 'active' } });
    for (const e of outbox) expect(e.body).not.toContain(acct.key.slice(8));
  });

  it('answers the same report again the same way, with no second leak or revoke', async () => {
    const acct = await customer(t);
    const body = JSON.stringify([entry(acct.key), entry(acct.key)]);
    const first = await report(t, body).expect(200);
    const second = await report(t, body).expect(200);
    expect(second.text).toBe(first.text);
    expect(first.body).toHaveLength(2);
    const actions = (await leakEvents(t, acct.readerKey, acct.keyId)).map((e) => e.action);
    expect(actions).toEqual(['api_key.revoked', 'api_key.leaked', 'api_key.created']);
    // The same key found somewhere else is a new leak to record; the key is already revoked.
    await report(t, JSON.stringify([entry(acct.key, 'https://gist.github.com/x/1')])).expect(200);
    expect((await leakEvents(t, acct.readerKey, acct.keyId)).map((e) => e.action)).toEqual(['api_key.leaked', 'api_key.revoked', 'api_key.leaked', 'api_key.created']);
  });

  it('labels forgeries and other vendors\' tokens false_positive without a database query', async () => {
    const acct = await customer(t);
    const forged = acct.key.slice(0, -6) + (acct.key.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
    const madeUp = `lk_live_${'Q7w8E9r0T1'.repeat(4)}Yu2I3o4P`;
    const others = [forged, madeUp, `lk_prod_${'a'.repeat(48)}`, 'sk_live_51Habcdefghijklmnopqrstuv', 'ghp_' + 'x'.repeat(36), 'AKIAIOSFODNN7EXAMPLE'];
    const logger = t.orm.config.getLogger();
    const spy = jest.spyOn(logger, 'logQuery');
    try {
      const res = await report(t, JSON.stringify(others.map((token) => entry(token)))).expect(200);
      expect(res.body).toEqual(others.map((token) => ({ token_hash: sha256(token), token_type: 'latchkey_api_key', label: 'false_positive' })));
      expect(spy).not.toHaveBeenCalled();
      // Control: the same spy sees the lookup of a real key.
      await report(t, JSON.stringify([entry(acct.key)])).expect(200);
      expect(spy.mock.calls.some(([ctx]) => /api_keys/i.test(ctx.query ?? ''))).toBe(true);
    } finally {
      spy.mockRestore();
    }
    await t.http.get('/v1/me').set('X-API-Key', acct.readerKey).expect(200);
  });

  it('labels a deleted key and a test key of this deployment true_positive', async () => {
    const acct = await customer(t);
    const test = (await t.http.post('/v1/api-keys').set('X-API-Key', acct.key).send({ name: 't', environment: 'test' }).expect(201)).body.data;
    const gone = (await t.http.post('/v1/api-keys').set('X-API-Key', acct.key).send({ name: 'gone' }).expect(201)).body.data;
    await t.http.delete(`/v1/api-keys/${gone.id}`).set('X-API-Key', acct.key).expect(200);
    const res = await report(t, JSON.stringify([entry(test.key), entry(gone.key)])).expect(200);
    expect(res.body.map((l: { label: string }) => l.label)).toEqual(['true_positive', 'true_positive']);
    expect((await t.http.get('/v1/me').set('X-API-Key', test.key).expect(401)).body.code).toBe('API_KEY_REVOKED');
  });

  it('refuses missing and bad signatures and unknown key identifiers with 401, before parsing the body', async () => {
    const acct = await customer(t);
    const body = JSON.stringify([entry(acct.key)]);
    const other = signer('not-listed');
    const cases = [
      t.http.post(PATH).set('Content-Type', 'application/json').send(body),
      report(t, body, github, sign('sha256', Buffer.from(body + ' '), github.privateKey).toString('base64')),
      report(t, body, github, 'not base64!'),
      report(t, body, { ...other, id: github.id }),
      report(t, body, other),
      report(t, '{not json', github, sign('sha256', Buffer.from('{not json'), other.privateKey).toString('base64')),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    }
    await t.http.get('/v1/me').set('X-API-Key', acct.key).expect(200);
  });

  it('answers a signed body that is not a report with 400', async () => {
    for (const body of ['{not json', '{"token":"x"}', '[{"type":"x"}]', '[{"token":"x","type":"t","url":5}]', JSON.stringify(Array.from({ length: 1001 }, () => entry('x')))]) {
      const res = await report(t, body).expect(400);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
    }
  });

  it('takes bodies up to 1 MiB on this route only, and refuses larger ones with 413', async () => {
    const padding = 'p'.repeat(800);
    const big = JSON.stringify(Array.from({ length: 1000 }, (_, i) => entry(`tok_${i}`, `https://github.com/o/r/blob/${padding}/${i}`)));
    expect(big.length).toBeGreaterThan(800_000);
    expect(big.length).toBeLessThan(1024 * 1024);
    expect((await report(t, big).expect(200)).body).toHaveLength(1000);
    const huge = JSON.stringify([entry('x', 'u'.repeat(1024 * 1024))]);
    const res = await report(t, huge).expect(413);
    expect(res.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
    // Sent in chunks, without a Content-Length: counted as it arrives.
    const chunked = await chunkedReport(t, huge);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
    // Everywhere else the limit stays 64 KiB.
    await t.http.post('/v1/keys/verify').set('X-API-Key', t.operatorKey).set('Content-Type', 'application/json').send(JSON.stringify({ key: 'x'.repeat(70_000) })).expect(413);
  });

  it('picks up a rotated keys file without a restart', async () => {
    const next = signer('rotated-key');
    writeKeys(next, github);
    const res = await report(t, JSON.stringify([entry('x')]), next).expect(200);
    expect(res.body[0].label).toBe('false_positive');
    writeKeys(github);
    await report(t, JSON.stringify([entry('x')]), next).expect(401);
  });
});

describe.each([
  ['deactivate', 401, 'API_KEY_INACTIVE', 'api_key.deactivated'],
  ['notify', 200, undefined, undefined],
])('GitHub secret scanning (e2e, LEAKED_KEY_ACTION=%s)', (action, status, code, event) => {
  let t: TestApp;
  beforeAll(async () => {
    writeKeys(github);
    t = await createTestApp({ SECRET_SCANNING_KEYS_FILE: keysFile, LEAKED_KEY_ACTION: action });
  });
  afterAll(() => t.close());

  it('records the leak and then does what it is configured to do', async () => {
    const acct = await customer(t);
    const res = await report(t, JSON.stringify([entry(acct.key)])).expect(200);
    expect(res.body[0].label).toBe('true_positive');
    const me = await t.http.get('/v1/me').set('X-API-Key', acct.key).expect(status);
    expect(me.body.code).toBe(code);
    const actions = (await leakEvents(t, acct.readerKey, acct.keyId)).map((e) => e.action);
    expect(actions).toEqual([...(event ? [event] : []), 'api_key.leaked', 'api_key.created']);
    const [row] = await sql<{ revoked_at: Date | null }>(t, 'select revoked_at from api_keys where id = ?', [acct.keyId]);
    expect(row.revoked_at).toBeNull();
  });
});

describe('GitHub secret scanning without SECRET_SCANNING_KEYS_FILE (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('is 404 with the body of any unknown endpoint', async () => {
    const res = await report(t, JSON.stringify([entry('x')])).set('X-Request-Id', 'nf').expect(404);
    const unknown = await t.http.post('/v1/no-such-endpoint').set('X-Request-Id', 'nf').send({}).expect(404);
    expect(res.body).toEqual(unknown.body);
    expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});
