import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess } from './utils/service-process';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

/** The built service (`npm run build` first) writes its request lines asynchronously: none may be lost, at shutdown least of all. */
describe('request log lines (e2e, spawned service)', () => {
  let db: TestDatabase;
  let dir: string;
  let service: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'latchkey-log-'));
    service = await ServiceProcess.start({ DATABASE_URL: db.url, DATA_DIR: dir, KEY_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'info', NODE_ENV: 'production' });
    await service.ready();
  }, 90_000);
  afterAll(async () => {
    await service.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs every request, one JSON line each, including those answered just before SIGTERM', async () => {
    const ids = await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        const res = await fetch(`${service.url}/health/live`, { headers: { 'X-Request-Id': `log-test-${i}` } });
        expect(res.status).toBe(200);
        return res.headers.get('x-request-id')!;
      }),
    );
    await service.stop('SIGTERM');
    const lines = service.output
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; requestId?: string; status?: number; path?: string });
    const logged = new Map(lines.filter((l) => l.msg === 'request completed').map((l) => [l.requestId, l]));
    for (const id of ids) expect(logged.get(id)).toMatchObject({ requestId: id, status: 200, path: '/health/live' });
  }, 60_000);
});
