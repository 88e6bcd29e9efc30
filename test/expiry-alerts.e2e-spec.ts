import { MikroORM } from '@mikro-orm/core';
import { createOrmConfig } from '../src/database/mikro-orm.config';
import { ExpiryNoticesJob } from '../src/keys/expiry-notices.job';
import { WebhookEvents } from '../src/webhooks/webhook-events.service';
import { createAccount } from './utils/api';
import { createTestApp, type TestApp } from './utils/test-app';

const DAY = 86_400_000;
const MINUTE = 60_000;

interface Notice {
  type: string;
  key: string;
  daysLeft?: number;
  status: string;
  environment: string;
}

describe('expiry notices (e2e)', () => {
  let t: TestApp;
  let job: ExpiryNoticesJob;
  let acct: { accountId: string; key: string };
  beforeAll(async () => {
    t = await createTestApp();
    job = t.app.get(ExpiryNoticesJob);
    acct = await createAccount(t.http, t.operatorKey, { plan: 'enterprise' });
  });
  afterAll(() => t.close());

  const newKey = async (expiresAt: Date, body: object = {}) =>
    (await t.http.post('/v1/api-keys').set('X-API-Key', acct.key).send({ name: 'expiring', expires_at: expiresAt.toISOString(), ...body }).expect(201)).body.data as { id: string };
  /** What the outbox holds for these keys, oldest first. */
  const notices = async (...ids: string[]): Promise<Notice[]> => {
    const rows = (await t.orm.em.fork().getConnection().execute(
      `select body from webhook_events where account_id = ? and type in ('api_key.expiring', 'api_key.expired') order by created_at, id`,
      [acct.accountId],
    )) as { body: string }[];
    return rows
      .map((r) => JSON.parse(r.body))
      .filter((e) => ids.includes(e.data.object.id))
      .map((e) => ({ type: e.type, key: e.data.object.id, daysLeft: e.data.days_left, status: e.data.object.status, environment: e.data.environment }));
  };

  it('warns 7 days and 1 day before expiry and announces the expiry, each once, and again after expires_at moves', async () => {
    const expiry = new Date(Date.now() + 30 * DAY);
    const { id } = await newKey(expiry, { environment: 'test' });
    const at = (ms: number) => new Date(expiry.getTime() + ms);

    await job.run(at(-7 * DAY - MINUTE));
    expect(await notices(id)).toEqual([]);
    await job.run(at(-7 * DAY + MINUTE));
    await job.run(at(-7 * DAY + 2 * MINUTE));
    await job.run(at(-2 * DAY));
    expect(await notices(id)).toEqual([{ type: 'api_key.expiring', key: id, daysLeft: 7, status: 'active', environment: 'test' }]);

    await job.run(at(-DAY + MINUTE));
    await job.run(at(-DAY + 2 * MINUTE));
    await job.run(at(-MINUTE));
    expect((await notices(id)).map((n) => [n.type, n.daysLeft])).toEqual([['api_key.expiring', 7], ['api_key.expiring', 1]]);

    await job.run(at(MINUTE));
    await job.run(at(DAY));
    const all = await notices(id);
    expect(all.map((n) => [n.type, n.daysLeft])).toEqual([['api_key.expiring', 7], ['api_key.expiring', 1], ['api_key.expired', undefined]]);
    expect(all[2].status).toBe('expired');

    // A new expiry re-arms every notice: the 7-day warning comes again, for the new date.
    const later = new Date(Date.now() + 60 * DAY);
    await t.http.patch(`/v1/api-keys/${id}`).set('X-API-Key', acct.key).send({ expires_at: later.toISOString() }).expect(200);
    await job.run(new Date(later.getTime() - 7 * DAY + MINUTE));
    await job.run(new Date(later.getTime() - 7 * DAY + 2 * MINUTE));
    expect((await notices(id)).map((n) => [n.type, n.daysLeft])).toEqual([
      ['api_key.expiring', 7], ['api_key.expiring', 1], ['api_key.expired', undefined], ['api_key.expiring', 7],
    ]);
  });

  it('after downtime sends only the most urgent notice due', async () => {
    const expiry = new Date(Date.now() + 20 * DAY);
    const { id } = await newKey(expiry);
    // Down from before the 7-day mark until 12 hours before expiry: only the 1-day warning.
    await job.run(new Date(expiry.getTime() - 12 * 3_600_000));
    expect((await notices(id)).map((n) => [n.type, n.daysLeft])).toEqual([['api_key.expiring', 1]]);
    // Down again across the expiry: the expiry is announced when the service is back.
    await job.run(new Date(expiry.getTime() + 2 * DAY));
    expect((await notices(id)).map((n) => n.type)).toEqual(['api_key.expiring', 'api_key.expired']);
  });

  it('sends nothing for revoked keys, and only the expiry for deactivated ones', async () => {
    const expiry = new Date(Date.now() + 40 * DAY);
    const revoked = await newKey(expiry);
    const inactive = await newKey(expiry, { active: false });
    await t.http.post(`/v1/api-keys/${revoked.id}/revoke`).set('X-API-Key', acct.key).expect(200);
    for (const ms of [-7 * DAY + MINUTE, -DAY + MINUTE, MINUTE]) await job.run(new Date(expiry.getTime() + ms));
    expect(await notices(revoked.id)).toEqual([]);
    expect((await notices(inactive.id)).map((n) => n.type)).toEqual(['api_key.expired']);
  });

  it('does not announce expiries more than 30 days past', async () => {
    const expiry = new Date(Date.now() + 45 * DAY);
    const { id } = await newKey(expiry);
    await job.run(new Date(expiry.getTime() + 31 * DAY));
    expect(await notices(id)).toEqual([]);
  });

  const server = process.env.DATABASE_URL ? it : it.skip;
  server('sends each notice once when two instances run at the same moment', async () => {
    const url = t.orm.config.get('clientUrl') as string;
    const other = await MikroORM.init(createOrmConfig({ url }));
    try {
      const second = new ExpiryNoticesJob(other, new WebhookEvents());
      const expiry = new Date(Date.now() + 200 * DAY);
      const ids: string[] = [];
      for (let i = 0; i < 230; i++) ids.push((await newKey(expiry)).id);
      const now = new Date(expiry.getTime() - 7 * DAY + MINUTE);
      const counts = await Promise.all([job.run(now), second.run(now), job.run(now), second.run(now)]);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(230);
      const sent = await notices(...ids);
      expect(sent).toHaveLength(230);
      expect(new Set(sent.map((n) => n.key)).size).toBe(230);
      await second.run(now);
      expect(await notices(...ids)).toHaveLength(230);
    } finally {
      await other.close();
    }
  });
});
