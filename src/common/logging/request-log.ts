import type { FastifyReply, FastifyRequest } from 'fastify';
import pino from 'pino';
import { canonicalIp } from '../http/ip-ranges';
import { loggablePath } from '../http/key-shape';

/**
 * The line each completed request gets ("request completed", at info; error for a 5xx). It has a
 * fixed shape built here from fields that never hold a secret (the request id is never key-shaped,
 * see app.setup; the path has no query, fragment or anything key-shaped), so it is written by a
 * logger of its own on the root logger's destination and at its level, without the root logger's
 * redaction: that pass looks for fields (`key`, `secret`, `*.key`, `req.headers…`) this line never
 * has, and cost more per request than writing the line.
 */
export class RequestLog {
  private readonly logger: pino.Logger;

  constructor(root: pino.Logger) {
    const destination = (root as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym];
    this.logger = pino({ level: root.level }, destination);
  }

  /** Written only when the level is `info` or below (a 5xx line is written at `error`). */
  completed(request: FastifyRequest, reply: FastifyReply): void {
    if (!this.logger.isLevelEnabled('info')) return;
    const status = reply.statusCode;
    // The path only, and nothing key-shaped in it: a query string or fragment may carry what must not be logged.
    const line = { requestId: request.id, method: request.method, path: loggablePath(request.url), ip: canonicalIp(request.ip), status, ms: reply.elapsedTime };
    this.logger[status >= 500 ? 'error' : 'info'](line, 'request completed');
  }
}
