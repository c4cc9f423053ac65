import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeOtlpTraceProtobuf, spansFromOtlp } from '@outrig/testing/otlp';
import { type ApiResult, DashboardApi, type DashboardContext, notFound } from './dashboard-api.ts';
import type { HubMessage } from './dev-hub.ts';

/** A running dashboard. */
export interface DashboardServer {
  /** `http://127.0.0.1:<port>`: the page, the API, and the OTLP receiver (`/v1/traces`). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};
// The page is plain files in the package's own `dashboard-ui/` folder (published beside dist/,
// like @outrig/auth's drizzle/): the same relative path from src/dashboard and dist/dashboard.
const STATIC_DIR = new URL('../../dashboard-ui/', import.meta.url);
const MAX_BODY = 8 * 1024 * 1024;

/**
 * Starts the dashboard on 127.0.0.1:`port` (0: any free port): the page, its JSON API and
 * event stream, and the OTLP/HTTP trace receiver the services export to. Rejects with the
 * listen error (EADDRINUSE) when the port is taken.
 *
 * @example
 * const dashboard = await startDashboardServer(context, 9400);
 * console.log(dashboard.url); // http://127.0.0.1:9400
 */
export async function startDashboardServer(ctx: DashboardContext, port: number): Promise<DashboardServer> {
  const api = new DashboardApi(ctx);
  const streams = new Set<ServerResponse>();
  let actualPort = port;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        json(res, { status: 500, body: { error: { code: 'INTERNAL', message: (err as Error).message } } });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    // DNS rebinding: only answer requests addressed to this machine by name or address.
    if (!allowedHost(req.headers.host, actualPort))
      return json(res, {
        status: 421,
        body: { error: { code: 'HOST_REFUSED', message: 'use 127.0.0.1 or localhost' } },
      });
    if (req.method === 'POST' && path === '/v1/traces') return receiveSpans(req, res);
    if (req.method === 'GET') {
      const asset = STATIC[path];
      if (asset) return serveStatic(res, asset.file, asset.type);
      if (path === '/api/stream') return openStream(req, res);
      const route = await getRoute(path, url.searchParams);
      return json(res, route ?? notFound(path));
    }
    if (req.method === 'POST') {
      // Another site's page must not drive the dashboard: same origin and JSON only.
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedHost(new URL(origin).host, actualPort))
        return json(res, {
          status: 403,
          body: { error: { code: 'ORIGIN_REFUSED', message: 'cross-origin request' } },
        });
      if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
        return json(res, {
          status: 415,
          body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' } },
        });
      const body = await readJson(req);
      return json(res, (await postRoute(path, body)) ?? notFound(path));
    }
    return json(res, {
      status: 405,
      body: { error: { code: 'METHOD_NOT_ALLOWED', message: req.method ?? '' } },
    });
  }

  async function getRoute(path: string, q: URLSearchParams): Promise<ApiResult | undefined> {
    if (path === '/api/info') return api.info();
    if (path === '/api/system') return api.system();
    if (path === '/api/events') return api.events();
    if (path === '/api/logs') return api.logs(q);
    if (path === '/api/traces') return api.traces(q);
    if (path.startsWith('/api/traces/'))
      return api.trace(decodeURIComponent(path.slice('/api/traces/'.length)));
    if (path === '/api/outbox') return api.outbox();
    if (path === '/api/openapi') return api.openapi();
    if (path === '/api/sagas') return api.sagas();
    const saga = /^\/api\/sagas\/([^/]+)\/([^/]+)$/.exec(path);
    if (saga) return api.saga(decodeURIComponent(saga[1]!), decodeURIComponent(saga[2]!));
    return undefined;
  }

  async function postRoute(path: string, body: unknown): Promise<ApiResult | undefined> {
    if (path === '/api/send') return api.send(body);
    const service = /^\/api\/services\/([^/]+)\/(stop|start)$/.exec(path);
    if (service) return api.serviceAction(decodeURIComponent(service[1]!), service[2] as 'stop' | 'start');
    const sagaAction = /^\/api\/sagas\/([^/]+)\/([^/]+)\/(retry|abort|resume)$/.exec(path);
    if (sagaAction) {
      const [, service, id, action] = sagaAction as unknown as [
        string,
        string,
        string,
        'retry' | 'abort' | 'resume',
      ];
      return api.sagaAction(decodeURIComponent(service), decodeURIComponent(id), action, body);
    }
    const outbox = /^\/api\/outbox\/([^/]+)\/(retry|skip)$/.exec(path);
    if (outbox) return api.outboxAction(decodeURIComponent(outbox[1]!), outbox[2] as 'retry' | 'skip', body);
    return undefined;
  }

  async function receiveSpans(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    try {
      let body = await readBody(req);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const spans =
        type === 'application/json'
          ? spansFromOtlp(JSON.parse(body.toString('utf8')), 'json')
          : spansFromOtlp(decodeOtlpTraceProtobuf(body), 'protobuf');
      ctx.hub.spansAdded(ctx.hub.traces.add(spans));
      if (type === 'application/json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode: ${(err as Error).message}`);
    }
  }

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    streams.add(res);
    const unsubscribe = ctx.hub.subscribe((m: HubMessage) =>
      res.write(`event: ${m.type}\ndata: ${JSON.stringify(m)}\n\n`),
    );
    const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function allowedHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase());
}

async function serveStatic(res: ServerResponse, file: string, type: string): Promise<void> {
  const body = await readFile(new URL(file, STATIC_DIR));
  res.writeHead(200, {
    'content-type': type,
    'cache-control': 'no-cache',
    'content-security-policy':
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

function json(res: ServerResponse, result: ApiResult): void {
  res.writeHead(result.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(result.body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
