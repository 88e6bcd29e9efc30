import { MikroORM } from '@mikro-orm/core';
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { AppModule } from '../../src/app.module';
import { APP_OPTIONS, createHttpAdapter, setupApp } from '../../src/app.setup';
import { loadConfig } from '../../src/config/configuration';
import { createTestDatabase } from './test-database';

export const TEST_KEY_SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  orm: MikroORM;
  operatorKey: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Starts the whole service as `npm start` does (same modules, same setupApp), on a database of
 * its own with migrations applied, listening on a free loopback port.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
  const saved = { ...process.env };
  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    KEY_SECRET: TEST_KEY_SECRET,
    LOG_LEVEL: 'silent',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...env,
  });
  if (!database.url) delete process.env.DATABASE_URL;
  const config = loadConfig();
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), APP_OPTIONS);
    setupApp(app);
    await app.listen(0, '127.0.0.1');
    return {
      app,
      http: request(app.getHttpServer()),
      orm: app.get(MikroORM),
      operatorKey: readFileSync(config.operator.keyFile, 'utf8').trim(),
      dataDir,
      close: async () => {
        await app.close();
        await database.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } finally {
    process.env = saved;
  }
}
