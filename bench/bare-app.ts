/**
 * The "bare" baseline: NestJS on Fastify with one global guard that looks the X-API-Key up in an
 * in-memory Map, and GET /v1/me answering a body shaped like Latchkey's. Nothing else: no
 * database, no rate limits, no logging, no usage tracking. Run as its own process by bench/run.ts:
 * PORT, BENCH_KEYS_FILE (a JSON array of the valid keys).
 */
import 'reflect-metadata';
import {
  type CanActivate, Controller, type ExecutionContext, Get, Inject, Injectable, Module, Req, UnauthorizedException,
  VersioningType,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { exitWithParent } from './processes';

interface BareKey {
  id: string;
  name: string;
  accountId: string;
  scopes: string[];
}
type WithKey = { benchKey?: BareKey; headers: Record<string, string | string[] | undefined> };

const KEYS = Symbol('keys');

function loadKeys(): Map<string, BareKey> {
  const keys: string[] = JSON.parse(readFileSync(process.env.BENCH_KEYS_FILE!, 'utf8'));
  return new Map(
    keys.map((key, i) => [key, { id: `key_${String(i).padStart(22, '0')}`, name: `bench key ${i}`, accountId: `acct_${String(i % 50).padStart(22, '0')}`, scopes: ['*'] }]),
  );
}

@Injectable()
class MapGuard implements CanActivate {
  constructor(@Inject(KEYS) private readonly keys: Map<string, BareKey>) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WithKey>();
    const key = this.keys.get(String(request.headers['x-api-key']));
    if (!key) throw new UnauthorizedException('API key is invalid');
    request.benchKey = key;
    return true;
  }
}

@Controller()
class MeController {
  @Get('me')
  me(@Req() request: WithKey) {
    const key = request.benchKey!;
    return {
      success: true,
      data: {
        account: { id: key.accountId, name: 'Bench account', email: 'bench@bench.test', plan: 'bench' },
        key: { id: key.id, name: key.name, environment: 'live', scopes: key.scopes },
      },
    };
  }
}

@Module({
  controllers: [MeController],
  providers: [{ provide: KEYS, useFactory: loadKeys }, { provide: APP_GUARD, useClass: MapGuard }],
})
class BareModule {}

async function main() {
  exitWithParent();
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

void main();
