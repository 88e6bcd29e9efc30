import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { APP_OPTIONS, createHttpAdapter, VERSIONING } from './app.setup';
import { buildOpenApiDocument } from './common/openapi/openapi-document';
import { loadConfig } from './config/configuration';

/** Writes the OpenAPI document to openapi.json without starting the service (no database needed). */
async function main() {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createHttpAdapter(loadConfig()), {
    ...APP_OPTIONS,
    preview: true,
    logger: false,
  });
  app.enableVersioning(VERSIONING);
  const file = join(__dirname, '..', '..', 'openapi.json');
  writeFileSync(file, `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
  process.stdout.write(`Wrote ${file}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
