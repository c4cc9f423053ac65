// Issue #4 acceptance: inventory-service and notification-service as separate processes, started
// as `npm start` starts them (`--import @outrig/core/telemetry`), exporting OTLP to the test kit's
// receiver. One POST must give ONE trace: the HTTP server span, its pg INSERT, the outbox write,
// the relay's publish, notification-service's consume span and its pg write — over the postgres
// bus and over NATS JetStream, with protobuf and with JSON export.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  deleteNatsStreams,
  freePort,
  type OtlpReceiver,
  type ReceivedSpan,
  serverAvailable,
  startOtlpReceiver,
  type TestDatabase,
  testServers,
} from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestIssuer, type TestIssuer } from './support/tokens.ts';

const SERVICES = fileURLToPath(new URL('../services/', import.meta.url));
const hasPg = await serverAvailable('postgres');
const hasNats = await serverAvailable('nats');
// The stream notification-service and inventory-service use for `product.events` on NATS (the
// default prefix: BUS_URL carries no prefix). Removed before and after, so no earlier run's events
// or consumers are in the way; no other test uses this topic on NATS.
const NATS_STREAM_PREFIX = 'OUTRIG_product';

interface Running {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
  url: string;
}

/** Starts a service as `npm start` does: its own process, the telemetry entry imported first. */
async function startService(dir: string, env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  let out = '';
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'SERVICE_NAME'),
  );
  const child = spawn(process.execPath, ['--import', '@outrig/core/telemetry', 'src/main.ts'], {
    cwd: `${SERVICES}${dir}`,
    env: { ...inherited, SERVICE_PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${dir} exited ${child.exitCode}: ${out}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { child, output: () => out, exit, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${dir} did not answer /health: ${out}`);
}

async function stopService(s: Running | undefined): Promise<number | null | undefined> {
  if (!s) return undefined;
  if (s.child.exitCode === null) s.child.kill('SIGTERM');
  return s.exit;
}

/** The spans of one trace as an indented tree, for failure messages. */
function tree(spans: ReceivedSpan[]): string {
  const lines: string[] = [];
  const ids = new Set(spans.map((s) => s.spanId));
  const walk = (parent: string | undefined, depth: number) => {
    for (const s of spans.filter((x) =>
      parent ? x.parentSpanId === parent : !ids.has(x.parentSpanId ?? ''),
    )) {
      const sql = s.attributes['db.query.text'];
      lines.push(
        `${'  '.repeat(depth)}${s.serviceName} ${s.kind} ${s.name}${sql ? ` [${String(sql).slice(0, 60)}]` : ''}`,
      );
      walk(s.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

const cases = [
  { transport: 'postgres', protocol: 'http/protobuf' },
  { transport: 'nats', protocol: 'http/protobuf' },
  { transport: 'postgres', protocol: 'http/json' },
] as const;

describe.skipIf(!hasPg)('one trace across HTTP, outbox, broker and consumer (separate processes)', () => {
  let receiver: OtlpReceiver;
  // The services verify tokens (the POST needs an admin) against this issuer's JWKS.
  let issuer: TestIssuer;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    issuer = await startTestIssuer();
  });
  afterAll(async () => {
    await receiver?.close();
    await issuer?.close();
  });

  for (const { transport, protocol } of cases) {
    it.skipIf(transport === 'nats' && !hasNats)(
      `${transport} transport, OTLP ${protocol}`,
      async () => {
        receiver.clear();
        const dbs: TestDatabase[] = [];
        const db = async (name: string) => {
          const created = await createTestDatabase(`trace_${name}`);
          dbs.push(created);
          return created.url;
        };
        if (transport === 'nats') await deleteNatsStreams(testServers.nats, NATS_STREAM_PREFIX);
        const busUrl = transport === 'nats' ? testServers.nats : await db('bus');
        const otel = {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_BSP_SCHEDULE_DELAY: '200',
          BUS_URL: busUrl,
          ...issuer.env,
        };
        let inventory: Running | undefined;
        let notification: Running | undefined;
        try {
          inventory = await startService('inventory-service', {
            ...otel,
            DATABASE_URL: await db('inventory'),
          });
          notification = await startService('notification-service', {
            ...otel,
            DATABASE_URL: await db('notification'),
          });

          const res = await fetch(`${inventory.url}/api/v2/products`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...bearer(await issuer.admin()) },
            body: JSON.stringify({
              name: 'Pen',
              sku: 'PEN-1',
              stock: 5,
              price: { amount: 199, currency: 'EUR' },
            }),
          });
          expect(res.status).toBe(201);
          const productId = ((await res.json()) as { data: { id: string } }).data.id;

          // Everything of the request's trace, once the consumer's write has arrived.
          const spans = await receiver.waitFor((all) => {
            const server = all.find((s) => s.kind === 'server' && s.serviceName === 'inventory-service');
            if (!server) return undefined;
            const trace = all.filter((s) => s.traceId === server.traceId);
            const written = trace.some(
              (s) =>
                s.serviceName === 'notification-service' &&
                /insert into notifications/i.test(String(s.attributes['db.query.text'] ?? '')),
            );
            return written ? trace : undefined;
          }, 30_000);
          const shape = tree(spans);
          const one = (what: string, match: (s: ReceivedSpan) => boolean): ReceivedSpan => {
            const found = spans.filter(match);
            expect(found, `exactly one ${what} in\n${shape}`).toHaveLength(1);
            return found[0]!;
          };
          const sqlOf = (s: ReceivedSpan) => String(s.attributes['db.query.text'] ?? '');

          // inventory-service: the request, its INSERT, the outbox write and the relay's publish.
          const server = one('HTTP server span', (s) => s.kind === 'server');
          expect(server).toMatchObject({
            serviceName: 'inventory-service',
            name: 'POST /api/v2/products',
            parentSpanId: undefined,
          });
          expect(server.attributes['http.route']).toBe('/api/v2/products');
          const insert = one('product INSERT', (s) => /insert into "products"/i.test(sqlOf(s)));
          expect(insert).toMatchObject({
            serviceName: 'inventory-service',
            kind: 'client',
            parentSpanId: server.spanId,
          });
          expect(insert.scope).toBe('@opentelemetry/instrumentation-pg');
          const write = one('outbox.write', (s) => s.name === 'outbox.write');
          expect(write).toMatchObject({
            serviceName: 'inventory-service',
            kind: 'internal',
            parentSpanId: server.spanId,
          });
          expect(write.attributes).toMatchObject({
            'messaging.destination.name': 'product.events',
            'cloudevents.event_type': 'product.created',
            'cloudevents.event_subject': productId,
          });
          const eventId = write.attributes['messaging.message.id'];
          expect(eventId).toEqual(expect.any(String));
          const outboxInsert = one(
            'outbox INSERT',
            (s) => s.parentSpanId === write.spanId && s.scope === '@opentelemetry/instrumentation-pg',
          );
          expect(sqlOf(outboxInsert)).toMatch(/insert into\s+outbox/i);
          const publish = one('relay.publish', (s) => s.name === 'relay.publish');
          expect(publish).toMatchObject({
            serviceName: 'inventory-service',
            kind: 'producer',
            parentSpanId: write.spanId,
          });
          expect(publish.attributes['messaging.message.id']).toBe(eventId);

          // notification-service: consume is the publish's child (context through the transport)
          // and links to the write that committed the event; the handler's INSERT is its child.
          const consume = one('consume', (s) => s.name === 'consume');
          expect(consume).toMatchObject({
            serviceName: 'notification-service',
            kind: 'consumer',
            parentSpanId: publish.spanId,
          });
          expect(consume.links).toContainEqual(
            expect.objectContaining({ traceId: server.traceId, spanId: write.spanId }),
          );
          expect(consume.attributes).toMatchObject({
            'messaging.message.id': eventId,
            'messaging.destination.name': 'product.events',
            'outrig.consume.outcome': 'handled',
          });
          const notify = one('notification INSERT', (s) => /insert into notifications/i.test(sqlOf(s)));
          expect(notify).toMatchObject({
            serviceName: 'notification-service',
            kind: 'client',
            parentSpanId: consume.spanId,
          });

          // The spans are about the notification the service actually stored.
          const listed = await fetch(`${notification.url}/api/v1/notifications`, {
            headers: bearer(await issuer.user('default')),
          });
          const notifications = ((await listed.json()) as { data: { eventId: string; subject: string }[] })
            .data;
          expect(notifications.find((n) => n.subject === productId)?.eventId).toBe(eventId);

          const encoding = protocol === 'http/json' ? 'json' : 'protobuf';
          expect(spans.every((s) => s.encoding === encoding)).toBe(true);
        } finally {
          const codes = [await stopService(notification), await stopService(inventory)];
          for (const d of dbs) await d.drop();
          if (transport === 'nats') await deleteNatsStreams(testServers.nats, NATS_STREAM_PREFIX);
          expect(codes, `${inventory?.output()}\n${notification?.output()}`).toEqual([0, 0]);
        }
      },
      90_000,
    );
  }
});
