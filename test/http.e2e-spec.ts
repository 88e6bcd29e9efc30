import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, type TestApp } from './utils/test-app';

describe('HTTP conventions (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const post = (path: string) => t.http.post(path).set('X-API-Key', t.operatorKey);

  it('echoes a sane X-Request-Id and replaces an insane one', async () => {
    const sane = await t.http.get('/health/live').set('X-Request-Id', 'abc-123.def_456:7').expect(200);
    expect(sane.headers['x-request-id']).toBe('abc-123.def_456:7');
    for (const bad of ['has space', 'x'.repeat(200), '<script>', 'a/b', 'a,b']) {
      const res = await t.http.get('/v1/me').set('X-Request-Id', bad);
      expect(res.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
      expect(res.body.request_id).toBe(res.headers['x-request-id']);
    }
  });

  it('marks every response no-store, errors included', async () => {
    for (const path of ['/health/live', '/v1/me', '/nope']) {
      const res = await t.http.get(path);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-request-id']).toBeDefined();
    }
  });

  it('answers an unknown route with the error envelope', async () => {
    const res = await t.http.get('/v1/nothing-here').set('X-API-Key', t.operatorKey).expect(404);
    expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });

  it('refuses bodies too large (413), not JSON (415) and malformed (400)', async () => {
    const big = await post('/v1/admin/accounts').set('Content-Type', 'application/json').send(JSON.stringify({ name: 'x'.repeat(70_000) })).expect(413);
    expect(big.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
    const text = await post('/v1/admin/accounts').set('Content-Type', 'text/plain').send('name=x').expect(415);
    expect(text.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const form = await post('/v1/admin/accounts').type('form').send({ name: 'x' }).expect(415);
    expect(form.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const bad = await post('/v1/admin/accounts').set('Content-Type', 'application/json').send('{"name":').expect(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', error: 'The request body is not valid JSON.' });
    const proto = await post('/v1/admin/accounts').set('Content-Type', 'application/json').send('{"__proto__":{"x":1},"name":"a"}').expect(400);
    expect(proto.body.code).toBe('VALIDATION_FAILED');
  });

  it('reports every invalid field in details', async () => {
    const res = await post('/v1/admin/accounts').send({ name: '', email: 'nope', plan: 'NOT A SLUG', extra: 1 }).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    const fields = res.body.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'email', 'plan', 'extra']));
    for (const d of res.body.details) expect(typeof d.message).toBe('string');
  });

  it.each([['[]'], ['"text"'], ['null'], ['42'], ['{"name":null,"email":null}'], ['{"name":["a"],"email":{"x":1}}']])(
    'answers body %s with 400, never 500',
    async (body) => {
      const res = await post('/v1/admin/accounts').set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.body.success).toBe(false);
    },
  );

  it('serves health without a key', async () => {
    await t.http.get('/health/live').expect(200);
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.data.info.database.status).toBe('up');
  });

  it('serves a valid OpenAPI 3 document declaring both key schemes, and the docs page', async () => {
    const res = await t.http.get('/openapi.json').expect(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\./);
    await SwaggerParser.validate(structuredClone(doc));
    expect(doc.components.securitySchemes).toEqual({
      ApiKeyHeader: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
      BearerApiKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      ConsoleSession: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'lk_session' }),
    });
    const me = doc.paths['/v1/me'].get;
    expect(me.security).toEqual(expect.arrayContaining([{ ApiKeyHeader: [] }, { BearerApiKey: [] }]));
    expect(Object.keys(me.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '429']));
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
    // When this fails, the API changed: run `npm run openapi` and commit openapi.json.
    expect(doc).toEqual(committed);
    const docs = await t.http.get('/docs').redirects(1);
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger');
  });
});
