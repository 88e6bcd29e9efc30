import type { FastifyRequest, RouteOptions } from 'fastify';
import { Readable } from 'node:stream';

/** Route config (`@RouteConfig`) of a route that reads its own body bytes, up to `bodyLimit`: the JSON parser only ever sees `null`. */
export interface RawBodyRouteConfig {
  rawBody: { bodyLimit: number };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received, on routes with RawBodyRouteConfig. */
    rawBody?: Buffer;
  }
}

/** The payload's bytes up to `limit`; past it, reading stops and only the count so far is returned. */
function readUpTo(payload: Readable, limit: number): Promise<{ bytes?: Buffer; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      payload.off('data', onData).off('end', onEnd).off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stop();
      payload.pause();
      resolve({ size });
    };
    const onEnd = () => {
      stop();
      resolve({ bytes: Buffer.concat(chunks, size), size });
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    payload.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/**
 * For `onRoute`: a route whose config asks for its raw body gets that body limit and a preParsing
 * step that keeps the bytes. A signature over them is checked before anything parses them, so
 * the parser is handed `null` and the route parses the bytes itself once they are trusted. An
 * oversized body is left to the parser's own limit check (413, as on every route).
 */
export function keepRawBody(route: RouteOptions): void {
  const wanted = (route.config as Partial<RawBodyRouteConfig> | undefined)?.rawBody;
  if (!wanted) return;
  const limit = wanted.bodyLimit;
  route.bodyLimit = limit;
  const hook = async (request: FastifyRequest, _reply: unknown, payload: Readable) => {
    if (Number(request.headers['content-length']) > limit) return payload;
    const { bytes, size } = await readUpTo(payload, limit);
    request.rawBody = bytes;
    // The parser compares this count with Content-Length and the limit, not the stand-in's four bytes.
    return Object.assign(Readable.from([Buffer.from('null')]), { receivedEncodedLength: size });
  };
  const existing = route.preParsing === undefined ? [] : Array.isArray(route.preParsing) ? route.preParsing : [route.preParsing];
  route.preParsing = [...existing, hook as never];
}
