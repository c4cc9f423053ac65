import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardContext } from './dashboard-api.ts';
import { type DashboardServer, startDashboardServer } from './dashboard-server.ts';
import { DatabasePools } from './database-pools.ts';
import { DevHub } from './dev-hub.ts';
import { OutboxPanel } from './outbox-panel.ts';
import { SagaPanel } from './saga-panel.ts';

/** An OTLP/JSON export of one server span, as an exporter sends it. */
const otlpJson = (traceId: string) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'inventory-service' } }] },
      scopeSpans: [
        {
          scope: { name: 'test' },
          spans: [
            {
              traceId,
              spanId: '00f067aa0ba902b7',
              name: 'GET /api/v1/products',
              kind: 2,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000005000000',
              attributes: [{ key: 'http.response.status_code', value: { intValue: 200 } }],
              status: {},
            },
          ],
        },
      ],
    },
  ],
});

describe('the dashboard server', () => {
  let server: DashboardServer;
  const hub = new DevHub();
  const calls: string[] = [];

  beforeAll(async () => {
    const ctx: DashboardContext = {
      system: 'fixture',
      services: [
        {
          name: 'inventory-service',
          kind: 'service',
          url: 'http://127.0.0.1:9',
          port: 9,
          database: false,
          auth: false,
        },
      ],
      hub,
      outbox: new OutboxPanel(new DatabasePools(new Map())),
      sagas: new SagaPanel(new DatabasePools(new Map())),
      control: {
        stop: async (s) => void calls.push(`stop ${s}`),
        start: async (s) => void calls.push(`start ${s}`),
      },
    };
    server = await startDashboardServer(ctx, 0);
  });
  afterAll(() => server?.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('serves the page and its assets from the package, with a strict CSP', async () => {
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('/assets/app.js');
    expect((await fetch(`${server.url}/assets/app.js`)).headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${server.url}/assets/app.css`)).status).toBe(200);
  });

  it('receives OTLP spans and lists their trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await post('/v1/traces', otlpJson(traceId));
    expect(res.status).toBe(200);
    const { traces } = (await (await fetch(`${server.url}/api/traces?service=inventory-service`)).json()) as {
      traces: { traceId: string; status: number }[];
    };
    expect(traces).toEqual([expect.objectContaining({ traceId, status: 200 })]);
    const detail = (await (await fetch(`${server.url}/api/traces/${traceId}`)).json()) as {
      spans: unknown[];
    };
    expect(detail.spans).toHaveLength(1);
    expect((await fetch(`${server.url}/api/traces/ffff`)).status).toBe(404);
  });

  it('streams dev events and log lines as server-sent events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/stream`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    await reader.read(); // ": connected"
    hub.record({
      event: 'log',
      service: 'inventory-service',
      line: JSON.stringify({ level: 30, msg: 'hello', requestId: 'r-1' }),
    });
    hub.record({ event: 'exited', service: 'inventory-service', pid: 1, code: 1, signal: null });
    let text = '';
    while (!text.includes('event: dev')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toContain('event: log');
    expect(text).toContain('"requestId":"r-1"');
    const logs = (await (await fetch(`${server.url}/api/logs?requestId=r-1`)).json()) as {
      logs: { msg: string }[];
    };
    expect(logs.logs.map((l) => l.msg)).toEqual(['hello']);
  });

  it('stops and starts services through the run, and refuses unknown ones', async () => {
    expect((await post('/api/services/inventory-service/stop', {})).status).toBe(200);
    expect((await post('/api/services/inventory-service/start', {})).status).toBe(200);
    expect(calls).toEqual(['stop inventory-service', 'start inventory-service']);
    expect((await post('/api/services/nope/stop', {})).status).toBe(404);
  });

  it('refuses other origins, non-JSON posts and foreign Host headers', async () => {
    expect(
      (await post('/api/services/inventory-service/stop', {}, { origin: 'https://evil.example' })).status,
    ).toBe(403);
    const text = await fetch(`${server.url}/api/send`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/api/system`,
        { headers: { host: `rebound.example:${server.port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.once('error', reject);
      req.end();
    });
    expect(status).toBe(421);
    expect(calls).toHaveLength(2);
  });

  it('says what is missing: no gateway for the explorer', async () => {
    expect((await fetch(`${server.url}/api/openapi`)).status).toBe(404);
    expect((await post('/api/send', { method: 'GET', path: '/api/versions' })).status).toBe(404);
  });
});
