import { VersioningType, type VersioningOptions } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { SwaggerModule } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import { randomBase62 } from './common/crypto/base62';
import { toErrorResponse } from './common/errors/error-response';
import { buildOpenApiDocument } from './common/openapi/openapi-document';
import { MetricsService } from './common/metrics/metrics.service';
import { RequestLimiter } from './common/rate-limit/request-limiter';
import { KeyUsedEvent } from './keys/events/key-used.event';
import type { AppConfig } from './config/configuration';

/** Largest JSON body accepted; larger gets 413 PAYLOAD_TOO_LARGE. */
export const BODY_LIMIT_BYTES = 64 * 1024;
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echo the caller's X-Request-Id when it is sane, otherwise make one. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : `req_${randomBase62(20)}`;
}

/**
 * Options for NestFactory.create: Fastify's own JSON parser serves (Nest's would add form
 * bodies), so JSON is the only body accepted.
 */
export const APP_OPTIONS = { bodyParser: false, bufferLogs: true } as const;

export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.http.trustProxy.length ? config.http.trustProxy : false,
    genReqId: requestId,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  });
}

export const VERSIONING: VersioningOptions = { type: VersioningType.URI, defaultVersion: '1' };

export function setupApp(app: NestFastifyApplication): NestFastifyApplication {
  app.enableVersioning(VERSIONING);
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: anything else is 415 UNSUPPORTED_MEDIA_TYPE.
  fastify.removeContentTypeParser(['text/plain']);
  fastify.addHook('onRequest', (request, reply, done) => {
    (request.raw as { id?: string }).id = request.id;
    reply.header('X-Request-Id', request.id);
    reply.header('Cache-Control', 'no-store');
    done();
  });
  // The documentation routes are served by Swagger straight from Fastify, outside the guards:
  // they get the same anonymous per-IP budget as health checks.
  const limiter = app.get(RequestLimiter);
  fastify.addHook('onRequest', async (request, reply) => {
    if (!/^\/(docs|openapi\.(json|yaml))(\/|$|\?)/.test(request.url)) return;
    const { headers, refusal } = await limiter.countAnonymous(request.ip);
    void reply.headers(headers);
    if (refusal) {
      const error = toErrorResponse(refusal, String(request.id));
      return reply.status(error.status).headers(error.headers).send(error.body);
    }
  });
  // Every response is measured; one to a request a key authenticated is a use of that key (last used, usage).
  const events = app.get(EventEmitter2);
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observe(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    const key = request.user;
    if (key) events.emit(KeyUsedEvent.eventName, new KeyUsedEvent(key.keyId, key.accountId, request.ip ?? null, new Date(), reply.statusCode));
    done();
  });
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: '/openapi.json', yamlDocumentUrl: '/openapi.yaml' });
  return app;
}
