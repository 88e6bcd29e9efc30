import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { toErrorResponse } from '../common/errors/error-response';
import type { RequestLimiter } from '../common/rate-limit/request-limiter';
import { CONSOLE_HEADERS, IMMUTABLE, NEVER_STORE } from './console-headers';

export const CONSOLE_PREFIX = '/console';

interface ConsoleOptions {
  root: string;
  limiter: RequestLimiter;
}

/** Every file of the build, as paths relative to its folder ('index.html', 'assets/index-3f2a.js'). */
function listFiles(root: string): Set<string> {
  if (!existsSync(root)) return new Set();
  const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return new Set(files.map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/')));
}

function sendError(request: FastifyRequest, reply: FastifyReply, error: DomainException) {
  const { status, body, headers } = toErrorResponse(error, String(request.id));
  return reply.status(status).headers(headers).type('application/json; charset=utf-8').send(body);
}

/**
 * The console's built files under /console/, outside the API guards: a single-page app whose
 * deep links (/console/keys/key_…) all answer index.html, while a missing hashed asset is a 404.
 */
export async function consolePlugin(scope: FastifyInstance, { root, limiter }: ConsoleOptions): Promise<void> {
  let files = listFiles(root);
  await scope.register(fastifyStatic, { root, serve: false, decorateReply: true, cacheControl: false, etag: true, lastModified: true, index: false });

  // The same anonymous per-IP budget as the documentation routes.
  scope.addHook('onRequest', (request, reply, done) => {
    limiter.countAnonymous(request.ip).then(({ headers, refusal }) => {
      void reply.headers(headers);
      if (!refusal) return done();
      void sendError(request, reply, refusal);
    }, done);
  });
  scope.addHook('onSend', (request, reply, payload, done) => {
    void reply.headers(CONSOLE_HEADERS);
    const immutable = reply.statusCode === 200 && request.url.startsWith(`${CONSOLE_PREFIX}/assets/`);
    void reply.header('Cache-Control', immutable ? IMMUTABLE : NEVER_STORE);
    done(null, payload);
  });

  const serve = (request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply) => {
    if (!files.has('index.html')) files = listFiles(root);
    if (!files.has('index.html')) return sendError(request, reply, new DomainException(ErrorCode.ServiceUnavailable, 'The console has not been built: run `npm run build`.'));
    const path = request.params['*'] ?? '';
    if (files.has(path)) return reply.sendFile(path);
    // A missing script or stylesheet must not be answered with HTML; anything else is a route of the app.
    if (path.startsWith('assets/') || /\.[a-z0-9]{1,8}$/i.test(path)) return sendError(request, reply, new DomainException(ErrorCode.NotFound, 'No such file.'));
    return reply.type('text/html; charset=utf-8').sendFile('index.html');
  };
  scope.get(CONSOLE_PREFIX, (request, reply) => {
    const query = request.url.indexOf('?');
    return reply.redirect(`${CONSOLE_PREFIX}/${query < 0 ? '' : request.url.slice(query)}`, 301);
  });
  scope.get(`${CONSOLE_PREFIX}/`, serve);
  scope.get(`${CONSOLE_PREFIX}/*`, serve);
}
