import { AuditRetentionJob } from '../src/audit/audit-retention.job';
import { AuthFailureRecorder } from '../src/audit/auth-failure.recorder';
import { UsageListener } from '../src/keys/usage.listener';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

describe('audit log and usage (e2e)', () => {
  let t: TestApp;
  let acct: { accountId: string; key: string; keyId: string };
  beforeAll(async () => {
    t = await createTestApp();
    acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise' });
  });
  afterAll(() => t.close());

  const as = (key: string) => ({
    get: (path: string) => t.http.get(path).set('X-API-Key', key),
    post: (path: string, body?: object) => t.http.post(path).set('X-API-Key', key).send(body),
  });
  const sql = (query: string, params: unknown[] = []) => t.orm.em.getConnection().execute(query, params);

  it('lists the account\'s events newest first, with filters and cursor pages', async () => {
    const k = (await as(acct.key).post('/v1/api-keys', { name: 'audited' }).expect(201)).body.data;
    await as(acct.key).post(`/v1/api-keys/${k.id}/deactivate`).set('X-Request-Id', 'deact-1').expect(200);
    const all = await as(acct.key).get('/v1/audit-events?limit=100').expect(200);
    const seqs = all.body.data.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const about = await as(acct.key).get(`/v1/audit-events?key_id=${k.id}`).expect(200);
    expect(about.body.data.map((e: { action: string }) => e.action)).toEqual(['api_key.deactivated', 'api_key.created']);
    expect(about.body.data[0]).toMatchObject({
      account_id: acct.accountId,
      actor: { type: 'api_key', id: acct.keyId },
      target: { type: 'api_key', id: k.id },
      request_id: 'deact-1',
      ip: '127.0.0.1',
      changes: { status: { before: 'active', after: 'inactive' } },
    });
    const byAction = await as(acct.key).get('/v1/audit-events?action=account.created').expect(200);
    expect(byAction.body.data).toHaveLength(1);
    expect(byAction.body.data[0].actor.type).toBe('operator');
    const page1 = await as(acct.key).get('/v1/audit-events?limit=1').expect(200);
    const page2 = await as(acct.key).get(`/v1/audit-events?limit=1&cursor=${page1.body.next_cursor}`).expect(200);
    expect(page2.body.data[0].seq).toBe(page1.body.data[0].seq - 1);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const window = (await as(acct.key).get(`/v1/audit-events?since=${since}&limit=100`).expect(200)).body.data.map((e: { id: string }) => e.id);
    const paged: string[] = [];
    for (let cursor = ''; ; ) {
      const res = await as(acct.key).get(`/v1/audit-events?since=${since}&limit=2${cursor}`).expect(200);
      paged.push(...res.body.data.map((e: { id: string }) => e.id));
      if (!res.body.next_cursor) break;
      cursor = `&cursor=${res.body.next_cursor}`;
    }
    expect(paged).toEqual(window);
    await as(acct.key).get(`/v1/audit-events?since=${since}&cursor=${page1.body.next_cursor}`).expect(400);
    const future = await as(acct.key).get(`/v1/audit-events?since=${new Date(Date.now() + 60_000).toISOString()}`).expect(200);
    expect(future.body.data).toEqual([]);
    for (const q of ['action=nope', 'since=yesterday', 'cursor=zzz', "key_id=x'--", 'limit=0']) {
      await as(acct.key).get(`/v1/audit-events?${q}`).expect(400);
    }
  });

  it('keeps tenants apart and lets the operator read any account\'s log', async () => {
    const other = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Other' });
    const mine = await as(other.key).get('/v1/audit-events?limit=100').expect(200);
    expect(new Set(mine.body.data.map((e: { account_id: string }) => e.account_id))).toEqual(new Set([other.accountId]));
    const op = await as(t.operatorKey).get(`/v1/admin/accounts/${acct.accountId}/audit-events?limit=100`).expect(200);
    expect(op.body.data.length).toBeGreaterThan(2);
    await as(t.operatorKey).get('/v1/admin/accounts/acct_0000000000000000000000/audit-events').expect(404);
    await as(acct.key).get(`/v1/admin/accounts/${other.accountId}/audit-events`).expect(403);
    const narrow = (await as(acct.key).post('/v1/api-keys', { name: 'n', scopes: ['keys:read'] }).expect(201)).body.data.key;
    expect((await as(narrow).get('/v1/audit-events').expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('exports the same events as NDJSON and CSV, streamed', async () => {
    const nd = await as(acct.key).get('/v1/audit-events/export?format=ndjson').buffer(true).parse((res, cb) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => cb(null, text));
    }).expect(200);
    expect(nd.headers['content-type']).toContain('application/x-ndjson');
    const lines = (nd.body as string).trim().split('\n').map((l) => JSON.parse(l));
    const listed = (await as(acct.key).get('/v1/audit-events?limit=100').expect(200)).body.data;
    expect(lines.map((e) => e.id)).toEqual([...listed].reverse().map((e: { id: string }) => e.id));
    const csv = await as(acct.key).get('/v1/audit-events/export?format=csv&action=api_key.created').expect(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = csv.text.trim().split('\n');
    expect(rows[0]).toBe('id,seq,occurred_at,account_id,actor_type,actor_id,actor_session_id,action,target_type,target_id,ip,user_agent,request_id,changes,prev_hash,hash');
    expect(rows.length - 1).toBe(listed.filter((e: { action: string }) => e.action === 'api_key.created').length);
    await as(acct.key).get('/v1/audit-events/export?format=xml').expect(400);
  });

  it('verifies the chain, and names exactly the event changed behind the trigger\'s back', async () => {
    expect((await as(acct.key).get('/v1/audit-events/verify').expect(200)).body.data).toMatchObject({ ok: true, first_broken_event_id: null });
    const [victim] = await sql('select id from audit_events where account_id = ? order by seq asc limit 1 offset 1', [acct.accountId]);
    await expect(sql("update audit_events set ip = '6.6.6.6' where id = ?", [victim.id])).rejects.toThrow(/append-only/);
    await expect(sql('delete from audit_events where id = ?', [victim.id])).rejects.toThrow(/append-only/);
    await t.orm.em.getConnection().transactional(async (trx) => {
      await t.orm.em.getConnection().execute("set local session_replication_role = 'replica'", [], 'run', trx);
      await t.orm.em.getConnection().execute("update audit_events set ip = '6.6.6.6' where id = ?", [victim.id], 'run', trx);
    });
    const res = await as(acct.key).get('/v1/audit-events/verify').expect(200);
    expect(res.body.data).toMatchObject({ ok: false, first_broken_event_id: victim.id });
  });

  it('keeps one unbroken chain under 100 concurrent key changes', async () => {
    const fresh = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Busy' });
    const keys = await Promise.all(Array.from({ length: 20 }, (_, i) => as(fresh.key).post('/v1/api-keys', { name: `c${i}` }).expect(201)));
    const changes = keys.flatMap(({ body }) => [
      as(fresh.key).post(`/v1/api-keys/${body.data.id}/deactivate`),
      as(fresh.key).post(`/v1/api-keys/${body.data.id}/activate`),
      t.http.patch(`/v1/api-keys/${body.data.id}`).set('X-API-Key', fresh.key).send({ name: `renamed-${body.data.id}` }),
      as(fresh.key).post(`/v1/api-keys/${body.data.id}/regenerate`),
      t.http.patch(`/v1/api-keys/${body.data.id}`).set('X-API-Key', fresh.key).send({ metadata: { touched: true } }),
    ]);
    expect(changes).toHaveLength(100);
    const results = await Promise.all(changes);
    for (const r of results) expect(r.status).toBe(200);
    const verify = await as(fresh.key).get('/v1/audit-events/verify').expect(200);
    expect(verify.body.data).toMatchObject({ ok: true, first_broken_event_id: null });
    // Every event was checked; an activate that overtook its deactivate changed nothing and wrote none.
    const [{ n }] = await sql('select count(*) as n from audit_events where account_id = ?', [fresh.accountId]);
    expect(verify.body.data.checked).toBe(Number(n));
    expect(verify.body.data.checked).toBeGreaterThanOrEqual(2 + 20 + 3 * 20);
  });

  it('records a flood of 10,000 bad keys as a handful of aggregated auth.failed events', async () => {
    const before = Number((await sql("select count(*) as n from audit_events where action = 'auth.failed'"))[0].n);
    const send = (i: number) => t.http.get('/v1/me').set('X-API-Key', `lk_live_${String(i).padStart(48, '0')}`);
    for (let i = 0; i < 10_000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => send(i + j)));
    await as(acct.key).get('/v1/me').expect(200);
    await t.app.get(AuthFailureRecorder).flush(true);
    const rows = await sql("select changes, ip from audit_events where action = 'auth.failed'");
    expect(rows.length - before).toBeGreaterThan(0);
    expect(rows.length - before).toBeLessThanOrEqual(24);
    const counted = rows.slice(before).reduce((n: number, r: { changes: { count: number } }) => n + r.changes.count, 0);
    expect(counted).toBe(10_000);
    expect(rows[rows.length - 1]).toMatchObject({ ip: '127.0.0.1', changes: { reason: 'UNAUTHORIZED' } });
  });

  it('counts usage per status class, per hour and day', async () => {
    const k = (await as(acct.key).post('/v1/api-keys', { name: 'usage', scopes: ['keys:read'] }).expect(201)).body.data;
    for (let i = 0; i < 7; i++) await as(k.key).get('/v1/me').expect(200);
    for (let i = 0; i < 3; i++) await as(k.key).get('/v1/account').expect(403);
    await as(k.key).get('/v1/api-keys/key_0000000000000000000000').expect(404);
    await t.app.get(UsageListener).flush();
    const hour = await as(acct.key).get(`/v1/api-keys/${k.id}/usage?granularity=hour`).expect(200);
    expect(hour.body.data.key_id).toBe(k.id);
    // The last 24 hours, from the top of the hour: 25 buckets, the current hour last.
    expect(hour.body.data.buckets).toHaveLength(25);
    expect(Date.parse(hour.body.data.buckets.at(-1).start)).toBe(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const total = (field: string) => hour.body.data.buckets.reduce((n: number, b: Record<string, number>) => n + b[field], 0);
    expect([total('count_2xx'), total('count_4xx'), total('count_5xx')]).toEqual([7, 4, 0]);
    const day = await as(acct.key).get(`/v1/api-keys/${k.id}/usage?granularity=day&since=${new Date(Date.now() - 3 * 86_400_000).toISOString()}`).expect(200);
    expect(day.body.data.buckets.at(-1)).toMatchObject({ count_2xx: 7, count_4xx: 4 });
    await as(acct.key).get(`/v1/api-keys/${k.id}/usage?granularity=minute`).expect(400);
    await as(acct.key).get(`/v1/api-keys/${k.id}/usage?since=2020-01-01T00:00:00Z`).expect(400);
    const other = await createAccount(t.http, t.operatorKey, { plan: 'pro', name: 'Peek' });
    await as(other.key).get(`/v1/api-keys/${k.id}/usage`).expect(404);
  });

  it('prunes by retention, keeps the chain verifiable from an anchor, and allows no other delete', async () => {
    const fresh = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Old' });
    for (let i = 0; i < 3; i++) await as(fresh.key).post('/v1/api-keys', { name: `r${i}` }).expect(201);
    const total = (await as(fresh.key).get('/v1/audit-events/verify').expect(200)).body.data.checked;
    await t.app.get(AuditRetentionJob).run(new Date(Date.now() + 366 * 86_400_000));
    const left = await sql('select count(*) as n from audit_events where account_id = ?', [fresh.accountId]);
    expect(Number(left[0].n)).toBe(0);
    await as(fresh.key).post('/v1/api-keys', { name: 'after' }).expect(201);
    const verify = (await as(fresh.key).get('/v1/audit-events/verify').expect(200)).body.data;
    expect(verify).toEqual({ ok: true, checked: 1, first_broken_event_id: null });
    const [event] = await sql('select seq from audit_events where account_id = ?', [fresh.accountId]);
    expect(Number(event.seq)).toBe(total + 1);
  });

  it('never puts a secret in an event or an export', async () => {
    const created = (await as(acct.key).post('/v1/api-keys', { name: 'secret-check' }).expect(201)).body.data;
    const regen = (await as(acct.key).post(`/v1/api-keys/${created.id}/regenerate`).expect(200)).body.data;
    const everything = JSON.stringify(await sql('select * from audit_events'));
    const exported = (await as(acct.key).get('/v1/audit-events/export').expect(200)).text;
    for (const secret of [created.key, regen.key, acct.key, t.operatorKey]) {
      expect(everything).not.toContain(secret);
      expect(exported).not.toContain(secret);
    }
  });
});
