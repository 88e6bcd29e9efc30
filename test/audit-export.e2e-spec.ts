import { stringify } from 'csv-stringify/sync';
import { AuditEvent } from '../src/audit/audit-event.entity';
import { CSV_COLUMNS, csvRow } from '../src/audit/audit-export-format';
import { AuditEventDto } from '../src/audit/dto/audit-event.dto';
import { newId } from '../src/common/crypto/base62';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

/**
 * The export reads raw rows; the list reads entities. Byte for byte, the export must be what the
 * list's events make when each is written with JSON.stringify (NDJSON) or csv-stringify (CSV),
 * for every filter, across page boundaries, with hostile text in every free-form field.
 */
describe('audit export bytes (e2e)', () => {
  let t: TestApp;
  let a: { accountId: string; key: string; keyId: string };
  let b: { accountId: string; key: string; keyId: string };
  const DAY = 86_400_000;
  const base = Date.now() - 10 * DAY;

  beforeAll(async () => {
    t = await createTestApp();
    a = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Export A' });
    b = await createAccount(t.http, t.operatorKey, { plan: 'enterprise', name: 'Export B' });
    await seed(a.accountId, 2_400, true);
    await seed(b.accountId, 998); // with its own two events: exactly one full page, then an empty one
  }, 120_000);
  afterAll(() => t.close());

  const hostile = [
    '=HYPERLINK("http://x")', '+1', '-2', '@SUM(A1)', '\tTab', '\rCR', 'comma, inside', 'quote " inside', 'line\nbreak', 'crlf\r\nend',
    'back\\slash', 'ctl \u0001\u001f\u007f', 'unicode é ✓ 😀 \u2028\u2029', "'already", '',
  ];
  const changesCases: (Record<string, unknown> | null)[] = [
    null, {}, { name: { before: 'a "b"', after: 'c,\nd' } }, { 10: 1, 9: 2, ab: { 1000: true, a: [1, 'x', null] } },
    { x: 1.5, y: 1e21, z: -0, big: 12345678901234567890, small: 1e-7 }, { s: hostile.join('|') }, { count: 3, minute: new Date(base).toISOString() },
  ];

  /** `count` events after the account's own, with hostile text in some when `mixed`. */
  async function seed(accountId: string, count: number, mixed = false): Promise<void> {
    const em = t.orm.em.fork();
    const [last] = await em.getConnection().execute('select max(seq) as seq from audit_events where account_id = ?', [accountId]);
    let seq = Number(last.seq);
    const keys = ['key_ExportTargetOne000000', 'key_ExportTargetTwo000000'];
    for (let i = 0; i < count; i++) {
      const text = (k: number) => (mixed && i % 3 === 0 ? hostile[(i + k) % hostile.length] : `plain-${i}-${k}`);
      const user = mixed && i % 5 === 0;
      em.create(AuditEvent, {
        id: newId('evt'), accountId, seq: String(++seq), occurredAt: new Date(base + i * 60_000 + (i % 1000)),
        actorType: user ? 'user' : i % 7 === 0 ? 'system' : 'api_key', actorId: user ? text(1) || 'u' : i % 7 === 0 ? 'system' : keys[i % 2],
        actorSessionId: user ? (i % 10 === 0 ? `ps_${i}` : '') : null,
        action: i % 4 === 0 ? 'api_key.updated' : 'api_key.created', targetType: 'api_key', targetId: keys[(i >> 1) % 2],
        ip: i % 11 === 0 ? null : text(2), userAgent: i % 13 === 0 ? null : text(3), requestId: i % 17 === 0 ? null : text(4),
        changes: changesCases[i % changesCases.length], prevHash: i % 19 === 0 ? null : `p${i}`, hash: `h${i}`,
      });
      if (i % 500 === 499) {
        await em.flush();
        em.clear();
      }
    }
    await em.flush();
    if (mixed) {
      // A whole second and a tenth, which PostgreSQL writes without (all) their fractional digits, and
      // microseconds, which the API truncates to milliseconds; a line longer than a write's chunk.
      const long = `${'é✓ "x",\n'.repeat(4_000)}😀`;
      for (const [i, at] of ['2031-02-03 04:05:06', '2031-02-03 04:05:06.5', '2031-02-03 04:05:06.789999'].entries()) {
        await em.getConnection().execute(
          "insert into audit_events (id, account_id, seq, occurred_at, actor_type, actor_id, action, target_type, target_id, user_agent, hash) values (?, ?, ?, ?::timestamptz, 'system', 'system', 'account.updated', 'account', ?, ?, 'hx')",
          [newId('evt'), accountId, seq + 1 + i, `${at}+00`, accountId, i === 1 ? long : null],
        );
      }
    }
  }

  const raw = async (key: string, path: string): Promise<{ status: number; type: string; body: Buffer }> => {
    const res = await t.http.get(path).set('X-API-Key', key).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    return { status: res.status, type: String(res.headers['content-type']), body: res.body as Buffer };
  };

  /** Every event the list returns for `query`, oldest first by seq. */
  async function listed(key: string, query: string): Promise<AuditEventDto[]> {
    const all: AuditEventDto[] = [];
    for (let cursor = ''; ; ) {
      const res = await t.http.get(`/v1/audit-events?limit=100${query ? `&${query}` : ''}${cursor}`).set('X-API-Key', key).expect(200);
      all.push(...res.body.data);
      if (!res.body.next_cursor) break;
      cursor = `&cursor=${res.body.next_cursor}`;
    }
    return all.sort((x, y) => x.seq - y.seq);
  }

  const ndjson = (events: AuditEventDto[]) => Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  const csv = (events: AuditEventDto[]) => Buffer.from(stringify([CSV_COLUMNS, ...events.map(csvRow)]));

  it('writes exactly the bytes of the hydrated entities, past several pages', async () => {
    const rows = await t.orm.em.fork().find(AuditEvent, { accountId: a.accountId }, { orderBy: { seq: 'asc' } });
    const events = rows.map(AuditEventDto.from);
    expect(events.length).toBe(2_405);
    expect(events.slice(-3).map((e) => e.occurred_at)).toEqual(['2031-02-03T04:05:06.000Z', '2031-02-03T04:05:06.500Z', '2031-02-03T04:05:06.789Z']);
    const nd = await raw(a.key, '/v1/audit-events/export?format=ndjson');
    expect([nd.status, nd.type]).toEqual([200, 'application/x-ndjson']);
    expect(nd.body.equals(ndjson(events))).toBe(true);
    const c = await raw(a.key, '/v1/audit-events/export?format=csv');
    expect([c.status, c.type]).toEqual([200, 'text/csv; charset=utf-8']);
    expect(c.body.toString()).toBe(csv(events).toString());
    expect(c.body.toString()).toContain(`"'=HYPERLINK(""http://x"")"`);
  }, 60_000);

  it.each([
    'key_id=key_ExportTargetTwo000000', 'action=api_key.updated', 'actor_id=key_ExportTargetOne000000', 'actor_type=user',
    `since=${new Date(base + 500 * 60_000 + 500).toISOString()}`, `until=${new Date(base + 700 * 60_000 + 700).toISOString()}`,
    `since=${new Date(base + 100 * 60_000).toISOString().replace('Z', '%2B00:00')}&until=${new Date(base + 1_500 * 60_000 + 1).toISOString()}&action=api_key.created`,
  ])('filters as the list does: %s', async (query) => {
    const events = await listed(a.key, query);
    expect(events.length).toBeGreaterThan(0);
    expect((await raw(a.key, `/v1/audit-events/export?format=ndjson&${query}`)).body.toString()).toBe(ndjson(events).toString());
    expect((await raw(a.key, `/v1/audit-events/export?format=csv&${query}`)).body.toString()).toBe(csv(events).toString());
  }, 60_000);

  it("keeps tenants apart, and ends after a last page that was exactly full", async () => {
    const events = await listed(b.key, '');
    expect(events).toHaveLength(1_000);
    expect(new Set(events.map((e) => e.account_id))).toEqual(new Set([b.accountId]));
    expect((await raw(b.key, '/v1/audit-events/export')).body.toString()).toBe(ndjson(events).toString());
    const none = await raw(b.key, '/v1/audit-events/export?format=csv&action=api_key.deleted');
    expect([none.status, none.body.toString()]).toEqual([200, `${CSV_COLUMNS.join(',')}\n`]);
    expect((await raw(b.key, '/v1/audit-events/export?action=api_key.deleted')).body.length).toBe(0);
  }, 60_000);
});
