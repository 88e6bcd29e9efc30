import { ConfigService } from '@nestjs/config';
import { Client } from 'pg';
import { AuditAction } from '../src/audit/audit-action';
import { AuditEvent } from '../src/audit/audit-event.entity';
import { AuditRetentionJob } from '../src/audit/audit-retention.job';
import { AuditService } from '../src/audit/audit.service';
import { newId } from '../src/common/crypto/base62';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(p * values.length) - 1)];

describe('hardening against denial of service (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const get = (key: string, path: string) => t.http.get(path).set('X-API-Key', key);
  const sql = (query: string, params: unknown[] = []) => t.orm.em.getConnection().execute(query, params);
  /** Runs statements with the append-only trigger off, as someone with direct database access could. */
  const behindTheTriggersBack = (...statements: [string, unknown[]][]) =>
    t.orm.em.getConnection().transactional(async (trx) => {
      await t.orm.em.getConnection().execute("set local session_replication_role = 'replica'", [], 'run', trx);
      for (const [query, params] of statements) await t.orm.em.getConnection().execute(query, params, 'run', trx);
    });
  const verify = async (key: string, query = '') => (await get(key, `/v1/audit-events/verify${query}`).expect(200)).body.data;
  const eventCount = async (accountId: string) => Number((await sql('select count(*) as n from audit_events where account_id = ?', [accountId]))[0].n);
  const eventAt = async (accountId: string, offset: number) =>
    (await sql('select id, seq from audit_events where account_id = ? order by seq asc limit 1 offset ?', [accountId, offset]))[0] as { id: string; seq: string };

  /** Appends `count` correctly chained events to an account's log, as the service would write them. */
  async function seedChain(accountId: string, count: number): Promise<void> {
    const audit = t.app.get(AuditService);
    const em = t.orm.em.fork();
    // Continues from the newest event, or from the retention anchor once all were pruned (as AuditService.record does).
    const [last] = await sql(
      `(select seq, hash from audit_events where account_id = ? order by seq desc limit 1)
       union all (select seq, hash from audit_anchors where account_id = ?) order by seq desc limit 1`,
      [accountId, accountId],
    );
    let prevHash: string | null = last?.hash ?? null;
    let seq = BigInt(last?.seq ?? 0);
    for (let i = 0; i < count; i++) {
      const event = em.create(AuditEvent, {
        id: newId('evt'), accountId, seq: String(++seq), occurredAt: new Date(), actorType: 'operator', actorId: 'operator',
        action: 'account.updated', targetType: 'account', targetId: accountId, ip: '203.0.113.9', userAgent: 'seed/1.0',
        requestId: `req_seed_${i}`, changes: { name: { before: `Name ${i}`, after: `Name ${i + 1}` } }, prevHash, hash: '',
      });
      event.hash = audit.linkHash(prevHash, event);
      prevHash = event.hash;
      if (i % 500 === 499) {
        await em.flush();
        em.clear();
      }
    }
    await em.flush();
  }

  describe('GET /v1/audit-events/verify', () => {
    it('hashes only what was added since the last verified point; full=true re-hashes everything', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Incremental' });
      for (let i = 0; i < 3; i++) await t.http.post('/v1/api-keys').set('X-API-Key', acct.key).send({ name: `k${i}` }).expect(201);
      const total = await eventCount(acct.accountId);
      expect(await verify(acct.key)).toEqual({ ok: true, checked: total, first_broken_event_id: null });
      expect(await verify(acct.key)).toEqual({ ok: true, checked: 0, first_broken_event_id: null });
      await t.http.post('/v1/api-keys').set('X-API-Key', acct.key).send({ name: 'later' }).expect(201);
      expect(await verify(acct.key)).toEqual({ ok: true, checked: 1, first_broken_event_id: null });
      expect(await verify(acct.key, '?full=true')).toEqual({ ok: true, checked: total + 1, first_broken_event_id: null });
      expect(await verify(acct.key, '?full=false')).toEqual({ ok: true, checked: 0, first_broken_event_id: null });
      const [state] = await sql('select seq, event_id, lease_owner from audit_verifications where account_id = ?', [acct.accountId]);
      expect({ ...state, seq: Number(state.seq) }).toMatchObject({ seq: total + 1, lease_owner: null });
      const bad = await get(acct.key, '/v1/audit-events/verify?full=yes').expect(400);
      expect(bad.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', details: [{ field: 'full', message: 'full must be true or false' }] });
      const operator = await get(t.operatorKey, `/v1/admin/accounts/${acct.accountId}/audit-events/verify?full=true`).expect(200);
      expect(operator.body.data).toEqual({ ok: true, checked: total + 1, first_broken_event_id: null });
    });

    it('never lets a verified point hide a change, a removal or a cut-off end before it', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Tampered' });
      await seedChain(acct.accountId, 40);
      expect((await verify(acct.key)).ok).toBe(true);
      await seedChain(acct.accountId, 5);
      // Changed behind the trigger's back, before the verified point.
      const changed = await eventAt(acct.accountId, 10);
      await behindTheTriggersBack(["update audit_events set ip = '6.6.6.6' where id = ?", [changed.id]]);
      expect(await verify(acct.key)).toMatchObject({ ok: false, first_broken_event_id: changed.id });
      expect(await verify(acct.key, '?full=true')).toMatchObject({ ok: false, first_broken_event_id: changed.id });

      // Removed from the middle: the event after the gap is the broken link.
      const other = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Gap' });
      await seedChain(other.accountId, 40);
      expect((await verify(other.key)).ok).toBe(true);
      const [gone, after] = [await eventAt(other.accountId, 20), await eventAt(other.accountId, 21)];
      await behindTheTriggersBack(['delete from audit_events where id = ?', [gone.id]]);
      expect(await verify(other.key)).toMatchObject({ ok: false, first_broken_event_id: after.id });

      // The end cut off, the verified event with it: the chain alone would look intact.
      const third = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Cut' });
      await seedChain(third.accountId, 30);
      expect((await verify(third.key)).ok).toBe(true);
      const [{ event_id: verifiedId }] = await sql('select event_id from audit_verifications where account_id = ?', [third.accountId]);
      await behindTheTriggersBack(['delete from audit_events where account_id = ? and seq > 20', [third.accountId]]);
      expect(await verify(third.key)).toMatchObject({ ok: false, first_broken_event_id: verifiedId });
      expect(await verify(third.key, '?full=true')).toMatchObject({ ok: false, first_broken_event_id: verifiedId });
    });

    it('keeps incremental checks incremental on a busy account: events written during a check are left to the next one', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Busy' });
      await seedChain(acct.accountId, 3_000);
      const before = await eventCount(acct.accountId);
      const audit = t.app.get(AuditService);
      const actor = { type: 'operator' as const, id: 'operator', ip: '203.0.113.9', userAgent: 'spec', requestId: 'req_busy' };
      let writing = true;
      const writer = (async () => {
        while (writing) {
          await t.orm.em.fork().transactional((em) => audit.record(em, { accountId: acct.accountId, action: AuditAction.AccountUpdated, target: { type: 'account', id: acct.accountId }, actor }));
          await sleep(2);
        }
      })();
      const full = await verify(acct.key, '?full=true').finally(() => (writing = false));
      await writer;
      const total = await eventCount(acct.accountId);
      // The check hashed events that arrived while it ran, and more came after it.
      expect(full).toMatchObject({ ok: true, first_broken_event_id: null });
      expect(full.checked).toBeGreaterThan(before);
      const [{ seq }] = await sql('select seq::text as seq from audit_verifications where account_id = ?', [acct.accountId]);
      expect(Number(seq)).toBeGreaterThanOrEqual(before);
      expect(Number(seq)).toBeLessThan(full.checked);
      // The next check resumes from the stored point: it hashes what follows it, not the whole chain again.
      expect(await verify(acct.key)).toEqual({ ok: true, checked: total - Number(seq), first_broken_event_id: null });
      expect(await verify(acct.key)).toEqual({ ok: true, checked: 0, first_broken_event_id: null });
    });

    it('answers 503 and keeps the stored point when PostgreSQL fails during a check', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Outage' });
      await seedChain(acct.accountId, 3_000);
      const total = await eventCount(acct.accountId);
      expect(await verify(acct.key)).toEqual({ ok: true, checked: total, first_broken_event_id: null });
      const [point] = await sql('select seq::text as seq, event_id, hash, horizon::text as horizon, mac from audit_verifications where account_id = ?', [acct.accountId]);
      await seedChain(acct.accountId, 1_500);
      // The whole-chain walk's own connection (its worker's) is cut while it reads.
      const [{ now }] = await sql('select now()::text as now');
      const answer = get(acct.key, '/v1/audit-events/verify?full=true').then((res) => res);
      let cut = false;
      for (let i = 0; i < 1_000 && !cut; i++) {
        const [killed] = await sql(
          "select pg_terminate_backend(pid) as done from pg_stat_activity where backend_start > ?::timestamptz and query like '%as settled from audit_events%' and pid <> pg_backend_pid()",
          [now],
        );
        cut = killed?.done === true;
        if (!cut) await sleep(2);
      }
      const res = await answer;
      expect(cut).toBe(true);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
      const [state] = await sql('select seq::text as seq, event_id, hash, horizon::text as horizon, mac, lease_owner from audit_verifications where account_id = ?', [acct.accountId]);
      expect(state).toEqual({ ...point, lease_owner: null });
      // Nothing was lost: the next check resumes from the same point.
      expect(await verify(acct.key)).toEqual({ ok: true, checked: 1_500, first_broken_event_id: null });
    });

    it('ignores a verified point written by anyone but the service', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Forged' });
      await seedChain(acct.accountId, 20);
      const changed = await eventAt(acct.accountId, 5);
      await behindTheTriggersBack(["update audit_events set user_agent = 'forged' where id = ?", [changed.id]]);
      const [end] = await sql('select seq, id, hash from audit_events where account_id = ? order by seq desc limit 1', [acct.accountId]);
      const [{ xid }] = await sql('select pg_snapshot_xmax(pg_current_snapshot())::text as xid');
      await sql("insert into audit_verifications (account_id, seq, event_id, hash, horizon, mac) values (?, ?, ?, ?, ?, 'f00d')", [
        acct.accountId, end.seq, end.id, end.hash, xid,
      ]);
      expect(await verify(acct.key)).toMatchObject({ ok: false, first_broken_event_id: changed.id });
    });

    it('follows retention when it prunes up to or past the verified point', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Retained' });
      await seedChain(acct.accountId, 10);
      await sleep(20);
      const cutoff = Date.now();
      await sleep(20);
      await seedChain(acct.accountId, 10);
      expect((await verify(acct.key)).ok).toBe(true);
      const days = t.app.get(ConfigService).get('audit').retentionDays as number;
      await t.app.get(AuditRetentionJob).run(new Date(cutoff + days * 86_400_000));
      const [anchor] = await sql('select seq from audit_anchors where account_id = ?', [acct.accountId]);
      expect(Number(anchor.seq)).toBeGreaterThanOrEqual(10);
      await seedChain(acct.accountId, 2);
      expect(await verify(acct.key)).toEqual({ ok: true, checked: 2, first_broken_event_id: null });
      expect(await verify(acct.key, '?full=true')).toEqual({ ok: true, checked: await eventCount(acct.accountId), first_broken_event_id: null });
      // Everything pruned, the anchor now past the verified point.
      await t.app.get(AuditRetentionJob).run(new Date(Date.now() + (days + 1) * 86_400_000));
      await seedChain(acct.accountId, 3);
      expect(await verify(acct.key)).toEqual({ ok: true, checked: 3, first_broken_event_id: null });
    });

    it('runs one check per account at a time: another instance\'s check is waited for, concurrent calls share one', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Shared' });
      await seedChain(acct.accountId, 600);
      const total = await eventCount(acct.accountId);
      // Another instance holds the account's lease: calls wait until it is released, then share one check.
      await sql(
        `insert into audit_verifications (account_id, lease_owner, lease_until) values (?, 'elsewhere', now() + interval '20 seconds')
         on conflict (account_id) do update set lease_owner = excluded.lease_owner, lease_until = excluded.lease_until`,
        [acct.accountId],
      );
      const started = Date.now();
      const waiting = Promise.all(Array.from({ length: 5 }, () => verify(acct.key)));
      await sleep(700);
      await sql("update audit_verifications set lease_owner = null, lease_until = null where account_id = ? and lease_owner = 'elsewhere'", [acct.accountId]);
      // One after another, all but the first would have found nothing new to check.
      for (const answer of await waiting) expect(answer).toEqual({ ok: true, checked: total, first_broken_event_id: null });
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
      // A lease left behind by an instance that died expires.
      await sql("update audit_verifications set lease_owner = 'dead', lease_until = now() - interval '1 second' where account_id = ?", [acct.accountId]);
      expect(await verify(acct.key, '?full=true')).toEqual({ ok: true, checked: total, first_broken_event_id: null });
      const [state] = await sql('select lease_owner from audit_verifications where account_id = ?', [acct.accountId]);
      expect(state.lease_owner).toBeNull();
    });

    it('walks one whole chain at a time: a second account\'s full check waits for the first', async () => {
      const long = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Queued long' });
      const short = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Queued short' });
      await seedChain(long.accountId, 2_000);
      const finished: string[] = [];
      const first = verify(long.key, '?full=true').then((answer) => (finished.push('long'), answer));
      // The long check has its lease and is walking before the short one is asked for.
      for (let i = 0; i < 100 && !(await sql('select 1 from audit_verifications where account_id = ? and lease_owner is not null', [long.accountId])).length; i++) await sleep(10);
      await sleep(50);
      const second = verify(short.key, '?full=true').then((answer) => (finished.push('short'), answer));
      expect(await second).toEqual({ ok: true, checked: await eventCount(short.accountId), first_broken_event_id: null });
      expect(await first).toEqual({ ok: true, checked: 2_002, first_broken_event_id: null });
      expect(finished).toEqual(['long', 'short']);
      // An incremental check does not queue behind a whole-chain walk.
      const again = verify(long.key, '?full=true').then((answer) => (finished.push('long again'), answer));
      await sleep(50);
      expect(await verify(short.key)).toEqual({ ok: true, checked: 0, first_broken_event_id: null });
      finished.push('short incremental');
      await again;
      expect(finished.slice(2)).toEqual(['short incremental', 'long again']);
    });

    it('does not stall other tenants while several full checks of a long chain run', async () => {
      const big = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Long chain' });
      const other = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Neighbour' });
      await seedChain(big.accountId, 3_000);
      /**
       * The neighbour's GET /v1/account every 20 ms until `until` settles, and the most CPU time the
       * main thread spent between two turns of a 1 ms timer: how long the event loop was held, which,
       * unlike wall-clock delays, does not grow when the machine is busy with other processes.
       */
      const probe = async (until: Promise<unknown>) => {
        const latencies: number[] = [];
        const probes: Promise<unknown>[] = [];
        let running = true;
        until.finally(() => (running = false)).catch(() => undefined);
        let held = 0;
        let last = process.threadCpuUsage();
        const tick = () => {
          const now = process.threadCpuUsage();
          held = Math.max(held, (now.user + now.system - last.user - last.system) / 1000);
          last = now;
          if (running) setTimeout(tick, 1);
        };
        setTimeout(tick, 1);
        while (running) {
          const sent = performance.now();
          probes.push(get(other.key, '/v1/account').expect(200).then(() => latencies.push(performance.now() - sent)));
          await sleep(20);
        }
        await Promise.all(probes);
        return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), count: latencies.length, held };
      };
      await get(other.key, '/v1/account').expect(200);
      const alone = await probe(sleep(1_500));
      const checks = Promise.all(Array.from({ length: 5 }, () => verify(big.key, '?full=true')));
      const during = await probe(checks);
      for (const answer of await checks) expect(answer).toMatchObject({ ok: true, checked: 3_002 });
      const line = (r: typeof alone) => `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (${r.count} requests), event loop held at most ${r.held.toFixed(1)} ms of CPU`;
      console.log(`neighbour GET /v1/account alone: ${line(alone)}\nduring 5 full checks of 3,002 events: ${line(during)}`);
      expect(during.count).toBeGreaterThan(5);
      expect(during.held).toBeLessThan(100);
    });
  });

  describe('GET /v1/audit-events/export', () => {
    it('answers 503 with the error body, not a cut 200, when the first query fails', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Export down' });
      await get(acct.key, '/v1/me').expect(200);
      // Another session holds the table: the export's query cannot run and times out.
      const blocker = new Client({ connectionString: t.orm.config.get('clientUrl') });
      await blocker.connect();
      try {
        await blocker.query('begin');
        await blocker.query('lock table audit_events in access exclusive mode');
        for (const format of ['ndjson', 'csv']) {
          const res = await get(acct.key, `/v1/audit-events/export?format=${format}`);
          expect(res.status).toBe(503);
          expect(res.headers['content-type']).toContain('application/json');
          expect(res.headers['content-disposition']).toBeUndefined();
          expect(res.headers['retry-after']).toBe('5');
          expect(res.body).toEqual({ success: false, error: expect.any(String), code: 'SERVICE_UNAVAILABLE', request_id: expect.any(String) });
        }
      } finally {
        await blocker.query('rollback');
        await blocker.end();
      }
      const ok = await get(acct.key, '/v1/audit-events/export?format=csv').expect(200);
      expect(ok.text.split('\n')[0]).toMatch(/^id,seq,/);
      await get(acct.key, '/v1/audit-events/export?format=xml').expect(400);
    }, 30_000);

    it('cuts the stream off, without hanging, when a later batch fails', async () => {
      const acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Export cut' });
      await seedChain(acct.accountId, 1_500);
      // A row the service cannot render, in the second batch of 1,000.
      await sql("insert into audit_events (id, account_id, seq, occurred_at, actor_type, actor_id, action, target_type, target_id, hash) values (?, ?, 1503, 'infinity', 'system', 'system', 'account.updated', 'account', ?, 'x')", [
        newId('evt'), acct.accountId, acct.accountId,
      ]);
      const address = t.app.getHttpServer().address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${address.port}/v1/audit-events/export`, { headers: { 'X-API-Key': acct.key }, signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let text = '';
      const read = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          text += Buffer.from(value).toString();
        }
      })();
      await expect(read).rejects.toThrow(/terminated|aborted|socket|closed/i);
      expect(text.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(1_000);
      expect(text.split('\n').filter(Boolean).length).toBeLessThan(1_502);
    }, 20_000);
  });
});

describe('per-IP budgets (e2e, behind a trusted proxy)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(() => t.close());

  const from = (ip: string, path: string, key?: string) => {
    const req = t.http.get(path).set('X-Forwarded-For', ip);
    return key ? req.set('X-API-Key', key) : req;
  };
  const badKey = `lk_live_${'A'.repeat(48)}`;

  it('counts an IPv6 client by its /64: rotating addresses does not buy more invalid-key attempts', async () => {
    for (let i = 1; i <= 30; i++) await from(`2001:db8:aa:1::${i.toString(16)}`, '/v1/me', badKey).expect(401);
    const refused = await from('2001:db8:aa:1:ffff:1234:5678:9abc', '/v1/me', badKey).expect(429);
    expect(refused.body.code).toBe('RATE_LIMITED');
    // The next /64 is another client.
    await from('2001:db8:aa:2::1', '/v1/me', badKey).expect(401);
  });

  it('counts an IPv6 client by its /64 on the anonymous budget of public routes', async () => {
    let last = await from('2001:db8:bb:1::1', '/health/live');
    for (let i = 2; i <= 300; i++) last = await from(`2001:db8:bb:1::${i.toString(16)}`, '/health/live');
    expect(last.status).toBe(200);
    expect(last.headers['x-ratelimit-remaining']).toBe('0');
    await from('2001:db8:bb:1:dead::beef', '/health/live').expect(429);
    await from('2001:db8:bb:2::1', '/health/live').expect(200);
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    for (let i = 0; i < 15; i++) await from('198.51.100.7', '/v1/me', badKey).expect(401);
    for (let i = 0; i < 15; i++) await from('::ffff:198.51.100.7', '/v1/me', badKey).expect(401);
    await from('198.51.100.7', '/v1/me', badKey).expect(429);
  });
});
