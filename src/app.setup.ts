import fastifyCookie from '@fastify/cookie';
import { MikroORM } from '@mikro-orm/core';
import { VersioningType, type VersioningOptions } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, preSerializationHookHandler } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AuthRefusals } from './auth/auth-refusals';
import { forgedKeyCheck } from './auth/forged-key.filter';
import { keyInUrlCheck } from './auth/key-in-url.filter';
import { ErrorCode } from './common/errors/error-code';
import { envelope } from './common/http/envelope';
import { canonicalIp } from './common/http/ip-ranges';
import { KEY_SHAPE } from './common/http/key-shape';
import { toErrorResponse } from './common/errors/error-response';
import { buildOpenApiDocument } from './common/openapi/openapi-document';
import { RequestLog } from './common/logging/request-log';
import { MetricsService } from './common/metrics/metrics.service';
import { RequestLimiter } from './common/rate-limit/request-limiter';
import { runInRequestContext } from './database/request-context';
import { KeyUsedEvent } from './keys/events/key-used.event';
import { KeyAuthenticator } from './keys/key-authenticator.service';
import { keepRawBody } from './secret-scanning/raw-body';
import type { AppConfig } from './config/configuration';

/** Largest JSON body accepted; larger gets 413 PAYLOAD_TOO_LARGE. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** Routes, as Fastify resolved them (never the raw URL: `/%6Fpenapi.json` and `GET http://host/openapi.json` reach /openapi.json). */
const DOCS_ROUTES = /^\/(docs|openapi\.(json|yaml))(\/|$)/;
const ENVELOPED_ROUTES = /^\/(v1|health)\//;
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// randomUUID draws from a pooled entropy buffer: far cheaper per request than fresh random bytes.
const newRequestId = () => `req_${randomUUID().replaceAll('-', '')}`;

/** Echo the caller's X-Request-Id when it is sane, otherwise make one. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  // One that looks like an API key is never echoed, logged or stored.
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) && !KEY_SHAPE.test(given) ? given : newRequestId();
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
    // Errors raised before a route is found (malformed URL, over-long parameter) get the contract's body too.
    frameworkErrors: (error: Error, _request: FastifyRequest, reply: FastifyReply) => {
      const id = newRequestId();
      const { status, body, headers } = toErrorResponse(error, id);
      void reply.status(status).headers({ ...headers, 'X-Request-Id': id, 'Cache-Control': 'no-store' }).send(body);
    },
    // ...and so do requests the HTTP parser refuses (headers too large, malformed header lines).
    clientErrorHandler: (error, socket) => rawErrorResponse(socket, (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400),
  });
}

const REASONS: Record<number, [string, string]> = {
  400: ['Bad Request', 'The request is not valid HTTP.'],
  417: ['Expectation Failed', 'The Expect header is not supported.'],
  431: ['Request Header Fields Too Large', 'The request headers are too large.'],
};

/** Answers on the raw socket, for requests that never became a request object. */
function rawErrorResponse(socket: Duplex, status: 400 | 417 | 431): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const id = newRequestId();
  const [reason, sentence] = REASONS[status];
  const body = JSON.stringify({ success: false, error: sentence, code: ErrorCode.ValidationFailed, request_id: id });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${id}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

export const VERSIONING: VersioningOptions = { type: VersioningType.URI, defaultVersion: '1' };

/** Counts a request against the client IP's anonymous budget; past it, answers 429. */
function anonymousBudget(limiter: RequestLimiter) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    limiter.countAnonymous(canonicalIp(request.ip) ?? undefined).then(({ headers, refusal }) => {
      void reply.headers(headers);
      if (!refusal) return done();
      const error = toErrorResponse(refusal, String(request.id));
      void reply.status(error.status).headers(error.headers).send(error.body);
    }, done);
  };
}

const withHook = <T>(hooks: T | T[] | undefined, hook: T): T[] => [...(hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]), hook];

export function setupApp(app: NestFastifyApplication): NestFastifyApplication {
  app.enableVersioning(VERSIONING);
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance();
  app.getHttpServer().on('checkExpectation', (request: IncomingMessage) => rawErrorResponse(request.socket, 417));
  // JSON only: anything else is 415 UNSUPPORTED_MEDIA_TYPE.
  fastify.removeContentTypeParser(['text/plain']);
  // Cookies are read only by the session strategy, when a request has one (no per-request parsing hook).
  void fastify.register(fastifyCookie, { hook: false });
  // One onRequest hook, its checks in this order (one hook instead of five: each costs a step of
  // Fastify's hook chain on every request). Before anything else costs the request: a key in the URL
  // (path, query or fragment) has leaked and is refused on sight, on every path; then a made-up key is
  // answered, without a request context. A path that does not exist reaches no guard: it is counted
  // against the client IP's anonymous budget here, so scanning for endpoints ends in 429s. Then the
  // rest of the request runs in a request context of its own (its EntityManager forked on first use).
  const keyInUrl = keyInUrlCheck(app.get(AuthRefusals));
  const forgedKey = forgedKeyCheck(app.get(KeyAuthenticator), app.get(AuthRefusals));
  const countAnonymous = anonymousBudget(app.get(RequestLimiter));
  const orm = app.get(MikroORM);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    reply.header('Cache-Control', 'no-store');
    if (keyInUrl(request, reply, done)) return;
    // The route Fastify resolved, read once (each read of routeOptions builds its object anew).
    const route = request.routeOptions.url;
    if (forgedKey(request, reply, route, done)) return;
    if (route === undefined) return countAnonymous(request, reply, (err) => (err ? done(err) : runInRequestContext(orm.em, done)));
    runInRequestContext(orm.em, done);
  });
  // Hooks only some routes need are attached to those routes as Fastify registers them, chosen by the
  // route and never by the raw URL; other requests pay nothing for them.
  const wrapInEnvelope: preSerializationHookHandler = (_request, reply, payload, done) => done(null, reply.statusCode < 400 ? envelope(payload) : payload);
  fastify.addHook('onRoute', (route) => {
    // Swagger serves the documentation straight from Fastify, outside the guards: it gets the
    // anonymous per-IP budget, like health checks.
    if (DOCS_ROUTES.test(route.url)) route.onRequest = withHook(route.onRequest, countAnonymous);
    // Success bodies of the API's own routes get the contract's envelope (errors already have theirs).
    if (ENVELOPED_ROUTES.test(route.url)) route.preSerialization = withHook(route.preSerialization, wrapInEnvelope);
    // A route that checks a signature over its body's bytes (leak reports) keeps them, under a limit of its own.
    keepRawBody(route);
  });
  // Every response is measured; one to a request a key authenticated is a use of that key (last used, usage).
  const events = app.get(EventEmitter2);
  const metrics = app.get(MetricsService);
  const requestLog = new RequestLog(PinoLogger.root);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observe(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    requestLog.completed(request, reply);
    const key = request.user;
    // A console session is a person, not a key: it has no last use or usage.
    if (key && !key.session) events.emit(KeyUsedEvent.eventName, new KeyUsedEvent(key.keyId, key.accountId, canonicalIp(request.ip), Date.now(), reply.statusCode));
    done();
  });
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: '/openapi.json', yamlDocumentUrl: '/openapi.yaml' });
  return app;
}
