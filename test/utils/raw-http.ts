import { connect } from 'node:net';

export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: Record<string, string>;
  text: string;
  reset: boolean;
}

export const rawStats = { requests: 0, statuses: {} as Record<number, number> };

/**
 * Sends a request byte for byte over a fresh connection: repeated headers, header values with any
 * bytes (strings are written as UTF-8), any body. HTTP client libraries would merge, validate or
 * re-encode these; a hostile client does not.
 */
export function rawRequest(port: number, method: string, path: string, headers: [string, string][], body?: Buffer | string): Promise<RawResponse> {
  rawStats.requests++;
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...headers.map(([k, v]) => `${k}: ${v}`)];
  if (payload) lines.push(`Content-Length: ${payload.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let reset = false;
    socket.setTimeout(20_000, () => socket.destroy(new Error(`no answer within 20 s to ${method} ${path.slice(0, 100)}`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') reset = true;
      else reject(err);
    });
    socket.on('close', () => {
      const res = parseResponse(Buffer.concat(chunks), reset);
      rawStats.statuses[res.status] = (rawStats.statuses[res.status] ?? 0) + 1;
      resolve(res);
    });
    socket.write(payload ? Buffer.concat([head, payload]) : head);
  });
}

function parseResponse(buf: Buffer, reset: boolean): RawResponse {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, text: buf.toString('utf8'), reset };
  const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = buf.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status: Number(statusLine.split(' ')[1]), headers, text: body.toString('utf8'), reset };
}

function dechunk(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < buf.length; ) {
    const eol = buf.indexOf('\r\n', at);
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
