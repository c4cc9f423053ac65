// The `--import @outrig/core/telemetry` entry, run as users run it: a service process with the
// standard OTEL_* variables, exporting to the test kit's OTLP receiver.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type OtlpReceiver, startOtlpReceiver } from '@outrig/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/traced-service.ts', import.meta.url));
const CORE = fileURLToPath(new URL('..', import.meta.url));

interface Proc {
  child: ChildProcess;
  logs: () => Record<string, unknown>[];
  stderr: () => string;
  exit: Promise<number | null>;
  /** The service URL, once it logged that it listens. */
  url: () => Promise<string>;
}

function start(env: Record<string, string>): Proc {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, ['--import', '@outrig/core/telemetry', FIXTURE], {
    cwd: CORE,
    env: { ...process.env, SERVICE_NAME: '', OTEL_SERVICE_NAME: '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const logs = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const url = async () => {
    for (let i = 0; i < 200; i++) {
      const line = logs().find((l) => l.msg === 'traced-service listening');
      if (line) return String(line.url);
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`service did not start: ${err}${out}`);
  };
  return { child, logs, stderr: () => err, exit, url };
}

async function stop(p: Proc): Promise<number | null> {
  if (p.child.exitCode === null) p.child.kill('SIGTERM');
  return p.exit;
}

let receiver: OtlpReceiver;
// A downstream HTTP server that records the headers of each call.
const downstreamCalls: IncomingHttpHeaders[] = [];
const downstream = createServer((req, res) => {
  downstreamCalls.push(req.headers);
  res.end('ok');
});
let downstreamUrl: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/stock`;
});
afterAll(async () => {
  await receiver.close();
  await new Promise((r) => downstream.close(r));
});
beforeEach(() => {
  receiver.clear();
  downstreamCalls.length = 0;
});

describe('node --import @outrig/core/telemetry', () => {
  it('names server spans by route, traces fetch calls, propagates W3C context and puts trace ids in logs', async () => {
    const p = start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      DOWNSTREAM_URL: downstreamUrl,
    });
    try {
      const url = await p.url();
      await fetch(`${url}/health`);
      const res = await fetch(`${url}/api/v1/items/42`);
      expect(res.status).toBe(200);

      const { server, client } = await receiver.waitFor((spans) => {
        const server = spans.find((s) => s.kind === 'server');
        const client = spans.find((s) => s.kind === 'client' && s.parentSpanId === server?.spanId);
        return server && client ? { server, client } : undefined;
      });
      expect(server.name).toBe('GET /api/v1/items/:id');
      expect(server.attributes['http.route']).toBe('/api/v1/items/:id');
      expect(server.attributes['http.response.status_code']).toBe(200);
      // No SERVICE_NAME/OTEL_SERVICE_NAME: the name createService() was given.
      expect(server.serviceName).toBe('traced-service');
      expect(client.traceId).toBe(server.traceId);
      expect(client.scope).toBe('@opentelemetry/instrumentation-undici');

      // The downstream got the client span's context.
      expect(downstreamCalls).toHaveLength(1);
      expect(downstreamCalls[0]!.traceparent).toBe(`00-${server.traceId}-${client.spanId}-01`);

      // Every line of the request carries the server span's ids, the access line included.
      const requestLines = p
        .logs()
        .filter((l) => l.msg === 'looking up item' || l.msg === 'request completed');
      expect(requestLines).toHaveLength(2);
      for (const line of requestLines) {
        expect(line).toMatchObject({ trace_id: server.traceId, span_id: server.spanId });
      }
      // /health is polled by launchers and probes: never a span.
      expect(receiver.spans().filter((s) => s.attributes['url.path'] === '/health')).toEqual([]);
      const listening = p.logs().find((l) => l.msg === 'traced-service listening');
      expect(listening?.tracing).toBe(`on, OTLP http/protobuf to ${receiver.url}/v1/traces`);
    } finally {
      expect(await stop(p)).toBe(0);
    }
  });

  it('continues an incoming traceparent and flushes buffered spans on SIGTERM (http/json)', async () => {
    const p = start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Nothing is exported on a timer within this test: only the shutdown flush can deliver.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    const url = await p.url();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${url}/api/v1/items/7`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(200);
    expect(receiver.spans()).toEqual([]);
    expect(await stop(p)).toBe(0);
    const spans = receiver.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      name: 'GET /api/v1/items/:id',
      traceId,
      parentSpanId: '00f067aa0ba902b7',
      encoding: 'json',
    });
  });

  it('without an endpoint: trace ids in logs, nothing exported, nothing on stderr', async () => {
    const p = start({ OTEL_EXPORTER_OTLP_ENDPOINT: '' });
    try {
      const url = await p.url();
      await fetch(`${url}/api/v1/items/1`);
      await new Promise((r) => setTimeout(r, 200));
      const line = p.logs().find((l) => l.msg === 'request completed');
      expect(line?.trace_id).toMatch(/^[0-9a-f]{32}$/);
      const listening = p.logs().find((l) => l.msg === 'traced-service listening');
      expect(listening?.tracing).toBe('on, not exported (no OTEL_EXPORTER_OTLP_ENDPOINT)');
    } finally {
      expect(await stop(p)).toBe(0);
    }
    expect(p.stderr()).toBe('');
    expect(receiver.spans()).toEqual([]);
  });

  it('TRACING_ENABLED=false: no SDK, no spans, no trace ids', async () => {
    const p = start({ TRACING_ENABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    try {
      const url = await p.url();
      await fetch(`${url}/api/v1/items/1`);
      const listening = p.logs().find((l) => l.msg === 'traced-service listening');
      expect(listening?.tracing).toBe('off');
    } finally {
      expect(await stop(p)).toBe(0);
    }
    const line = p.logs().find((l) => l.msg === 'request completed');
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty('trace_id');
    expect(receiver.spans()).toEqual([]);
  });

  it('maps JAEGER_HOST to OTLP on port 4318 with one deprecation line', async () => {
    const p = start({ OTEL_EXPORTER_OTLP_ENDPOINT: '', JAEGER_HOST: '127.0.0.1', JAEGER_PORT: '6831' });
    try {
      await p.url();
      const listening = p.logs().find((l) => l.msg === 'traced-service listening');
      expect(listening?.tracing).toBe('on, OTLP http/protobuf to http://127.0.0.1:4318/v1/traces');
    } finally {
      await stop(p);
    }
    const warnings = p
      .stderr()
      .split('\n')
      .filter((l) => l.includes('deprecated'));
    expect(warnings).toEqual([
      'warning: JAEGER_HOST/JAEGER_PORT are deprecated; exporting OTLP to http://127.0.0.1:4318 — set OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 instead',
    ]);
  });

  it('stops at start with exit 78 naming a bad variable', async () => {
    const p = start({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_SAMPLER: 'sometimes' });
    expect(await p.exit).toBe(78);
    expect(p.stderr()).toContain('Invalid configuration (CONFIG_INVALID):');
    expect(p.stderr()).toContain(
      'OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is invalid: expected http/protobuf or http/json',
    );
    expect(p.stderr()).toContain('OTEL_TRACES_SAMPLER="sometimes" is invalid');
  });
});
