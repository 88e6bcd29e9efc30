/**
 * The "tutorial design" baseline: NestJS on Fastify with a passport-headerapikey strategy whose
 * validate() hashes the key (sha256), SELECTs it and UPDATEs last_used_at, on every request,
 * through a `pg` Pool. Its table (tutorial_api_keys) is created and filled by bench/seed.ts.
 * Run as its own process by bench/run.ts: PORT, DATABASE_URL.
 */
import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module, Req, UnauthorizedException, VersioningType } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHash } from 'node:crypto';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { Pool } from 'pg';
import { exitWithParent } from './processes';

interface KeyRow {
  id: string;
  name: string;
  account_id: string;
  account_name: string;
  scopes: string[];
}

@Injectable()
class TutorialKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, 'tutorial-api-key') {
  constructor(@Inject(Pool) private readonly pool: Pool) {
    super({ header: 'X-API-Key', prefix: '' }, false);
  }

  async validate(apiKey: string): Promise<KeyRow> {
    const hash = createHash('sha256').update(apiKey).digest('hex');
    const { rows } = await this.pool.query<KeyRow>(
      'SELECT id, name, account_id, account_name, scopes FROM tutorial_api_keys WHERE hash = $1',
      [hash],
    );
    if (!rows[0]) throw new UnauthorizedException('API key is invalid');
    await this.pool.query('UPDATE tutorial_api_keys SET last_used_at = now() WHERE id = $1', [rows[0].id]);
    return rows[0];
  }
}

@Controller()
class MeController {
  @Get('me')
  me(@Req() request: { user?: unknown }) {
    const key = request.user as KeyRow;
    return {
      success: true,
      data: {
        account: { id: key.account_id, name: key.account_name, email: 'bench@bench.test', plan: 'bench' },
        key: { id: `key_${key.id}`, name: key.name, environment: 'live', scopes: key.scopes },
      },
    };
  }
}

@Module({
  imports: [PassportModule],
  controllers: [MeController],
  providers: [
    { provide: Pool, useFactory: () => new Pool({ connectionString: process.env.DATABASE_URL, max: 10 }) },
    TutorialKeyStrategy,
    { provide: APP_GUARD, useClass: AuthGuard('tutorial-api-key') },
  ],
})
class TutorialModule {}

async function main() {
  exitWithParent();
  const app = await NestFactory.create<NestFastifyApplication>(TutorialModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

void main();
