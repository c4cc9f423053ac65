import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request the upstream received. */
export interface Hit {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Raw header pairs, to see duplicated headers. */
  readonly rawHeaders: string[];
  readonly body: string;
}

/** How the upstream answers one request. */
export type Behaviour = (hit: Hit, res: ServerResponse) => void | Promise<void>;

/** A real HTTP server on 127.0.0.1, port 0, programmable per request. */
export interface Upstream {
  readonly url: string;
  readonly hits: Hit[];
  /** Open TCP connections right now. */
  readonly connections: number;
  /** TCP connections accepted so far. */
  readonly opened: number;
  /** Sets how the next requests are answered (default: 200 `{ data: { ok: true } }`). */
  behave(behaviour: Behaviour): void;
  /** Stops the server and drops every connection (an instance that died). */
  close(): Promise<void>;
}

export const answer = {
  /** 2xx in the Outrig envelope. */
  data:
    (data: unknown, status = 200): Behaviour =>
    (hit, res) =>
      json(res, status, {
        data,
        metadata: {
          version: 'v1',
          timestamp: new Date().toISOString(),
          requestId: hit.headers['x-request-id'] ?? 'x',
        },
      }),
  /** An error envelope. */
  error:
    (status: number, code: string, details?: Record<string, unknown>): Behaviour =>
    (_hit, res) =>
      json(res, status, {
        error: { code, message: `${code} from upstream`, ...(details ? { details } : {}) },
      }),
  /** A body that is not the envelope. */
  text:
    (status: number, body: string): Behaviour =>
    (_hit, res) => {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(body);
    },
  /** Never answers. */
  hang: (): Behaviour => () => new Promise<void>(() => {}),
  /** Drops the connection without answering. */
  drop: (): Behaviour => (_hit, res) => {
    res.socket?.destroy();
  },
};

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Starts an upstream. */
export async function startUpstream(): Promise<Upstream> {
  const hits: Hit[] = [];
  const sockets = new Set<Socket>();
  let opened = 0;
  let behaviour: Behaviour = answer.data({ ok: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit: Hit = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      hits.push(hit);
      void behaviour(hit, res);
    });
  });
  server.on('connection', (socket) => {
    opened++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    get connections() {
      return sockets.size;
    },
    get opened() {
      return opened;
    },
    behave(next) {
      behaviour = next;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
