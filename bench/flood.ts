import { connect, type Socket } from 'node:net';

export interface FloodResult {
  /** Responses per second. */
  rps: number;
  statusCodes: Record<string, number>;
  /** Requests that were due while every connection still waited for its answer (not sent). */
  skipped: number;
  /** CPU time of this generator's own thread per response, in microseconds. */
  clientCpuUs: number;
}

const HEADER_END = '\r\n\r\n';
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;

/**
 * An open-loop flood at `rate` requests a second, spread evenly (a tick every millisecond sends what
 * is due), over `connections` keep-alive connections with one request in flight each (no pipelining,
 * so the server reads and answers them one by one, as from as many clients). Each request is a plain
 * `GET path` with one of `keys` in X-API-Key, written on a raw socket; each answer is read just far
 * enough to know its status and where it ends. This costs the generator a fraction of what a full
 * HTTP client does per request: on a small machine the generator shares the cores with the service,
 * and an attacker's own CPU is not the service's to pay.
 */
export function flood(url: string, keys: string[], rate: number, seconds: number, connections: number, path = '/v1/me'): Promise<FloodResult> {
  const { hostname, port } = new URL(url);
  const statusCodes: Record<string, number> = {};
  const idle: Socket[] = [];
  const sockets: Socket[] = [];
  let answered = 0;
  let sent = 0;
  let skipped = 0;
  const cpu0 = process.threadCpuUsage();
  const start = performance.now();
  const request = (key: string) => `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nX-API-Key: ${key}\r\n\r\n`;

  const open = (): Socket => {
    const socket = connect({ host: hostname, port: Number(port), noDelay: true });
    socket.setEncoding('latin1');
    let pending = '';
    socket.on('data', (chunk: string) => {
      pending += chunk;
      // One answer at a time per connection: its status line, its headers, then Content-Length bytes.
      for (;;) {
        const end = pending.indexOf(HEADER_END);
        if (end < 0) return;
        const length = Number(CONTENT_LENGTH.exec(pending.slice(0, end + 2))?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const status = pending.slice(9, 12);
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        answered++;
        pending = pending.slice(end + 4 + length);
        idle.push(socket);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const at = sockets.indexOf(socket);
      if (at >= 0 && performance.now() - start < seconds * 1000) sockets[at] = open();
    });
    socket.once('connect', () => idle.push(socket));
    return socket;
  };
  for (let i = 0; i < connections; i++) sockets.push(open());

  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      if (elapsed >= seconds * 1000) {
        clearInterval(timer);
        const cpu = process.threadCpuUsage(cpu0);
        for (const socket of sockets.splice(0)) socket.destroy();
        resolve({ rps: (answered * 1000) / elapsed, statusCodes, skipped, clientCpuUs: (cpu.user + cpu.system) / Math.max(1, answered) });
        return;
      }
      const due = Math.floor((elapsed * rate) / 1000);
      while (sent < due) {
        sent++;
        let socket = idle.pop();
        while (socket?.destroyed) socket = idle.pop();
        if (!socket) {
          skipped++;
          continue;
        }
        socket.write(request(keys[(Math.random() * keys.length) | 0]));
      }
    }, 1);
  });
}
