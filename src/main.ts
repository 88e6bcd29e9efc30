import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { APP_OPTIONS, createHttpAdapter, setupApp } from './app.setup';
import { ConfigurationError } from './config/environment';
import { loadConfig } from './config/configuration';
import { DataDirectoryLockedError } from './database/embedded-database';

async function bootstrap() {
  const config = loadConfig();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createHttpAdapter(config), APP_OPTIONS);
  setupApp(app);
  await app.listen(config.http.port, config.http.host);
  app.get(Logger).log(`Listening on http://${config.http.host}:${config.http.port} (docs at /docs)`, 'Latchkey');
}

bootstrap().catch((err: unknown) => {
  // Configuration and lock problems are the operator's to fix: one clear sentence, no stack.
  if (err instanceof ConfigurationError || err instanceof DataDirectoryLockedError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`Latchkey failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
