import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { AppModule } from '../src/app.module';
import { APP_OPTIONS, createHttpAdapter, setupApp } from '../src/app.setup';
import { loadConfig } from '../src/config/configuration';
import { DEFAULT_DELIVERY_OPTIONS, WEBHOOK_DELIVERY_OPTIONS, type WebhookDeliveryOptions } from '../src/webhooks/webhook-options';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { TEST_KEY_SECRET } from './utils/test-app';

export interface WebhookTestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  orm: MikroORM;
  operatorKey: string;
  close(): Promise<void>;
}

/** A schedule for tests: the production shape, with seconds where production has minutes and hours. */
export const FAST_DELIVERY: Partial<WebhookDeliveryOptions> = {
  retryDelaysMs: [300, 300, 300, 300, 300, 300, 300],
  jitter: 0,
  timeoutMs: 1_000,
  pollIntervalMs: 100,
  leaseMs: 5_000,
};

/**
 * The whole service as `npm start` builds it (same modules, same setupApp), on a database of its own,
 * with the delivery options replaced by `options` over the production defaults.
 */
export async function createWebhookTestApp(
  options: Partial<WebhookDeliveryOptions> = {},
  env: Record<string, string> = {},
  database?: TestDatabase,
): Promise<WebhookTestApp & { database: TestDatabase }> {
  const db = database ?? (await createTestDatabase());
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-webhooks-'));
  const saved = { ...process.env };
  Object.assign(process.env, {
    NODE_ENV: 'test', DATA_DIR: dataDir, KEY_SECRET: TEST_KEY_SECRET, LOG_LEVEL: 'silent',
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    ...env,
  });
  if (!db.url) delete process.env.DATABASE_URL;
  const config = loadConfig();
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(WEBHOOK_DELIVERY_OPTIONS)
      .useValue({ ...DEFAULT_DELIVERY_OPTIONS, allowPrivateNetworks: config.webhooks.allowPrivateNetworks, ...options })
      .compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), APP_OPTIONS);
    setupApp(app);
    await app.listen(0, '127.0.0.1');
    return {
      app,
      database: db,
      http: request(app.getHttpServer()),
      orm: app.get(MikroORM),
      operatorKey: readFileSync(config.operator.keyFile, 'utf8').trim(),
      close: async () => {
        await app.close();
        if (!database) await db.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } finally {
    process.env = saved;
  }
}

export interface Receipt {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A real HTTP receiver on loopback; `answer` decides each response (200 by default). */
export class Receiver {
  readonly receipts: Receipt[] = [];
  answer: (receipt: Receipt, n: number, res: ServerResponse) => void = (_r, _n, res) => res.writeHead(200).end('ok');
  private waiters: (() => void)[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const receipt = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        receiver.receipts.push(receipt);
        receiver.answer(receipt, receiver.receipts.length, res);
        for (const wake of receiver.waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Waits until `count` requests arrived (or fails after `ms`). */
  async waitFor(count: number, ms = 10_000): Promise<Receipt[]> {
    const deadline = Date.now() + ms;
    while (this.receipts.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`receiver got ${this.receipts.length} requests, expected ${count}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    return this.receipts;
  }

  /** Payloads received, parsed. */
  events(): { id: string; type: string; timestamp: string; data: any }[] {
    return this.receipts.map((r) => JSON.parse(r.body));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something truthy (or fails after `ms`). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
