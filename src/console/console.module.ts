import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RateLimitModule } from '../common/rate-limit/rate-limit.module';
import { RequestLimiter } from '../common/rate-limit/request-limiter';
import { consolePlugin } from './console.plugin';

/** The project's root: the nearest folder above this file with a package.json (from src/ or dist/src/ alike). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/** Where `npm run build` puts the console (vite, console/vite.config.ts). */
export const CONSOLE_DIST = join(projectRoot(__dirname), 'dist', 'console');

/** Serves the web console's built files at /console/ with their security and cache headers. */
@Module({ imports: [RateLimitModule] })
export class ConsoleModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly limiter: RequestLimiter,
  ) {}

  onModuleInit(): void {
    // The CLI boots the same modules without an HTTP server: there is nothing to serve then.
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    // Queued, not awaited: awaiting would load Fastify's plugins now, building the API's routes
    // before Nest installs its error handler, so framework errors (413, 415, bad JSON) would lose
    // the contract's body.
    void fastify.register(consolePlugin, { root: CONSOLE_DIST, limiter: this.limiter });
  }
}
