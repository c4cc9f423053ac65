// Service-kit overhead: bare Fastify vs the same route through createService (all defaults on),
// and the same again with tracing on (`--import @outrig/core/telemetry`, every request sampled,
// spans exported over OTLP/HTTP protobuf to a local sink), alternating rounds in one run, plus
// cold start and idle RSS of the inventory service.
// `--sink dashboard` makes the sink do what `outrig dev`'s dashboard does with each export (decode
// the protobuf, keep the spans by trace): the services' cost of running under the dashboard.
// Usage: npm run bench:kit -- [--rounds 3] [--duration 5] [--connections 100] [--warmup 3] [--logs file|devnull] [--sink plain|dashboard]
import { readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, serverAvailable } from '@outrig/testing';
import { decodeOtlpTraceProtobuf, spansFromOtlp } from '@outrig/testing/otlp';
import { TraceStore } from '../packages/cli/src/dashboard/trace-store.ts';
import { parseLoadArgs } from './lib/args.ts';
import { type LoadResult, runLoad } from './lib/load.ts';
import { machineLine } from './lib/machine.ts';
import { rssMb } from './lib/proc-stats.ts';
import { median, printJsonLine, printTable, round } from './lib/report.ts';
import { type ServerProcess, type ServerProcessOptions, startServer } from './lib/server-process.ts';

const root = join(import.meta.dirname, '..');
const loadAtStart = loadavg()[0] ?? 0;
const args = parseLoadArgs(process.argv.slice(2), ['sink']);
const sinkKind = args.extra.sink ?? 'plain';
if (sinkKind !== 'plain' && sinkKind !== 'dashboard')
  throw new Error(`--sink must be plain or dashboard, got ${sinkKind}`);
const logTo = args.logs === 'file' ? join(tmpdir(), `outrig-bench-kit-${process.pid}.log`) : '/dev/null';
const HELLO = '/api/v1/hello';
const COLD_STARTS = 5;
const IDLE_MS = 1000;

console.log(`# kit bench — ${machineLine()}`);
console.log(
  `# ${args.rounds} alternating rounds × ${args.duration} s, ${args.connections} connections, ` +
    `${args.warmup} s warm-up each; kit logs: LOG_LEVEL=info → ${args.logs === 'file' ? `file ${logTo}` : '/dev/null'}`,
);

// --- cold start and idle memory --------------------------------------------------------------

interface StartFigures {
  first: number;
  ms: number;
  rss: number;
}

/** One unmeasured first start, then spawn → /health 200 and RSS after 1 s idle, median of 5. */
async function coldStart(options: ServerProcessOptions): Promise<StartFigures> {
  const first = await startServer(options);
  await first.stop();
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const server = await startServer(options);
    times.push(server.readyMs);
    await sleep(IDLE_MS);
    rss.push(rssMb(server.pid));
    await server.stop();
  }
  return { first: first.readyMs, ms: median(times), rss: median(rss) };
}

/** inventory-service as it runs in production: its own database and a Postgres bus database. */
async function inventoryColdStart(): Promise<StartFigures | undefined> {
  if (!(await serverAvailable('postgres'))) return undefined;
  const db = await createTestDatabase('bench_inventory');
  const bus = await createTestDatabase('bench_bus');
  try {
    return await coldStart({
      script: join(root, 'examples/shop/services/inventory-service/src/main.ts'),
      env: {
        LOG_LEVEL: 'info',
        DATABASE_URL: db.url,
        BUS_URL: bus.url,
        // It verifies tokens (keys fetched on the first token, not at start) and registers
        // itself; neither is part of what a cold start waits for.
        JWT_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
        JWT_ISSUER: 'http://127.0.0.1:8001',
        JWT_AUDIENCE: 'outrig-shop',
        AUTO_REGISTER_SERVICE: 'false',
      },
    });
  } finally {
    await db.drop();
    await bus.drop();
  }
}

const inventory = await inventoryColdStart();
const bareStart = await coldStart({ script: join(root, 'bench/servers/bare-server.ts') });

// --- throughput ------------------------------------------------------------------------------

const sink = await startOtlpSink(sinkKind === 'dashboard');
const bare = await startServer({ script: join(root, 'bench/servers/bare-server.ts') });
const kit = await startServer({
  script: join(root, 'bench/servers/kit-server.ts'),
  env: { LOG_LEVEL: 'info' },
  stdoutTo: logTo,
});
const traced = await startServer({
  script: join(root, 'bench/servers/kit-server.ts'),
  nodeArgs: ['--import', '@outrig/core/telemetry'],
  env: {
    LOG_LEVEL: 'info',
    TRACING_ENABLED: 'true',
    OTEL_TRACES_SAMPLER: 'always_on',
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    // outrig dev exports every 500 ms so that a trace shows up at once.
    ...(sinkKind === 'dashboard' ? { OTEL_BSP_SCHEDULE_DELAY: '500' } : {}),
  },
  stdoutTo: logTo,
});
const rounds: { bare: LoadResult; kit: LoadResult; traced: LoadResult }[] = [];
// Every request the traced server answered (warm-up and check included), for bytes per request.
let tracedRequests = 1;
try {
  await checkKitResponse(kit.url);
  await checkKitResponse(traced.url);
  const load = (server: ServerProcess, duration = args.duration) =>
    runLoad({ url: server.url + HELLO, duration, connections: args.connections, serverPid: server.pid });
  if (args.warmup > 0) {
    await load(bare, args.warmup);
    await load(kit, args.warmup);
    tracedRequests += (await load(traced, args.warmup)).requests;
  }
  for (let i = 0; i < args.rounds; i++) {
    const b = await load(bare);
    const k = await load(kit);
    const t = await load(traced);
    tracedRequests += t.requests;
    rounds.push({ bare: b, kit: k, traced: t });
    console.log(
      `round ${i + 1}: bare ${round(b.rps)} req/s, kit ${round(k.rps)} req/s, kit + tracing ${round(t.rps)} req/s`,
    );
  }
} finally {
  await bare.stop();
  await kit.stop();
  await traced.stop(); // its shutdown flushes the spans still buffered
  await sink.close();
}
const sinkBytes = sink.bytes();
const sinkExports = sink.exports();
const receiverUsPerReq = (sink.receiverMs() * 1000) / Math.max(1, tracedRequests);

// --- report ----------------------------------------------------------------------------------

type Side = 'bare' | 'kit' | 'traced';
const med = (pick: (r: LoadResult) => number, side: Side) => median(rounds.map((r) => pick(r[side])));
const rpsOf = (r: LoadResult) => r.rps;
const p50Of = (r: LoadResult) => r.p50;
const p99Of = (r: LoadResult) => r.p99;
const cpuOf = (r: LoadResult) => r.cpuUsPerReq ?? Number.NaN;
const clientOf = (r: LoadResult) => r.clientCpuUsPerReq;
const columns = [rpsOf, p50Of, p99Of, cpuOf, clientOf];
const digits = [0, 2, 2, 1, 1];
const row = (label: string, r: LoadResult) => [
  label,
  ...columns.map((pick, i) => round(pick(r), digits[i])),
  r.errors,
  r.non2xx,
];
const medianRow = (side: Side) => [
  `median ${side}`,
  ...columns.map((pick, i) => round(med(pick, side), digits[i])),
  '',
  '',
];
const bareRps = med(rpsOf, 'bare');
const kitRps = med(rpsOf, 'kit');
const ratio = kitRps / bareRps;
const bareCpu = med(cpuOf, 'bare');
const kitCpu = med(cpuOf, 'kit');
const tracedRps = med(rpsOf, 'traced');
const tracedCpu = med(cpuOf, 'traced');

console.log('');
printTable(
  ['run', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'client CPU µs/req', 'errors', 'non-2xx'],
  [
    ...rounds.flatMap((r, i) => [
      row(`round ${i + 1} bare`, r.bare),
      row(`round ${i + 1} kit`, r.kit),
      row(`round ${i + 1} traced`, r.traced),
    ]),
    medianRow('bare'),
    medianRow('kit'),
    medianRow('traced'),
  ],
);
console.log('');
const noDb = 'skipped: no PostgreSQL';
printTable(
  ['measure', 'value'],
  [
    ['kit / bare throughput (median req/s)', `${round(ratio * 100, 1)} % (target ≥ 85 %)`],
    ['bare / kit server CPU per request', `${round((bareCpu / kitCpu) * 100, 1)} %`],
    ['kit overhead per request (server CPU)', `${round(kitCpu - bareCpu, 1)} µs`],
    [
      'kit + tracing / bare throughput (median req/s)',
      `${round((tracedRps / bareRps) * 100, 1)} % (target ≥ 60 %)`,
    ],
    ['tracing overhead per request (server CPU, over kit)', `${round(tracedCpu - kitCpu, 1)} µs`],
    ...(sinkKind === 'dashboard'
      ? [
          [
            'dashboard receiver work per request (decode + keep, in outrig dev)',
            `${round(receiverUsPerReq, 1)} µs`,
          ],
        ]
      : []),
    [
      'OTLP received from the traced server',
      `${sinkExports} requests, ${round(sinkBytes / 1024 ** 2, 1)} MiB (${round(sinkBytes / Math.max(1, tracedRequests))} B per request)`,
    ],
    ['inventory-service cold start (spawn → /health 200)', inventory ? `${round(inventory.ms)} ms` : noDb],
    ['inventory-service first start (applies migrations)', inventory ? `${round(inventory.first)} ms` : noDb],
    ['inventory-service idle RSS (1 s after ready)', inventory ? `${round(inventory.rss, 1)} MiB` : noDb],
    ['bare Fastify cold start', `${round(bareStart.ms)} ms`],
    ['bare Fastify idle RSS', `${round(bareStart.rss, 1)} MiB`],
    ['kit log lines written', logLines()],
  ],
);
console.log('');

const failures = rounds.reduce(
  (n, r) =>
    n + r.bare.errors + r.bare.non2xx + r.kit.errors + r.kit.non2xx + r.traced.errors + r.traced.non2xx,
  0,
);
if (failures > 0) {
  console.error(`warning: ${failures} errors or non-2xx responses: the figures above are not valid`);
  process.exitCode = 1;
}
if (sinkExports === 0) {
  console.error('warning: the traced server exported no spans: its figures are not valid');
  process.exitCode = 1;
}
printJsonLine({
  bench: 'kit',
  sink: sinkKind,
  bare_rps: round(bareRps),
  kit_rps: round(kitRps),
  ratio: round(ratio, 3),
  kit_p99_ms: round(med(p99Of, 'kit'), 2),
  tracing_rps: round(tracedRps),
  tracing_ratio: round(tracedRps / bareRps, 3),
  tracing_p99_ms: round(med(p99Of, 'traced'), 2),
  tracing_cpu_us_per_req: round(tracedCpu, 1),
  tracing_export_bytes_per_req: round(sinkBytes / Math.max(1, tracedRequests)),
  ...(sinkKind === 'dashboard' ? { receiver_us_per_req: round(receiverUsPerReq, 1) } : {}),
  cold_start_ms: inventory ? round(inventory.ms) : null,
  idle_rss_mb: inventory ? round(inventory.rss, 1) : null,
  bare_p99_ms: round(med(p99Of, 'bare'), 2),
  bare_cpu_us_per_req: round(bareCpu, 1),
  kit_cpu_us_per_req: round(kitCpu, 1),
  cpu_ratio: round(bareCpu / kitCpu, 3),
  bare_cold_start_ms: round(bareStart.ms),
  bare_idle_rss_mb: round(bareStart.rss, 1),
  rounds: args.rounds,
  duration_s: args.duration,
  connections: args.connections,
  logs: args.logs,
  load_avg_start: round(loadAtStart, 2),
});

/** Fails fast if the kit route is not what we mean to measure (envelope, headers, 200). */
async function checkKitResponse(url: string): Promise<void> {
  const res = await fetch(url + HELLO);
  const body = (await res.json()) as { data?: { hello?: string }; metadata?: unknown };
  const missing = ['x-request-id', 'api-version', 'content-security-policy'].filter(
    (h) => !res.headers.has(h),
  );
  if (res.status !== 200 || body.data?.hello !== 'world' || !body.metadata || missing.length > 0) {
    throw new Error(
      `kit server answered ${res.status} ${JSON.stringify(body)} (missing headers: ${missing})`,
    );
  }
}

function logLines(): string {
  if (args.logs !== 'file') return 'n/a (/dev/null)';
  const lines = readFileSync(logTo, 'utf8').split('\n').length - 1;
  const mb = statSync(logTo).size / 1024 ** 2;
  rmSync(logTo, { force: true });
  return `${lines} (${round(mb, 1)} MiB, file removed)`;
}

/**
 * A trivial OTLP/HTTP sink for the traced server: reads each export, answers an empty (success)
 * response, counts requests and bytes. It never decodes, so it costs the load generator little —
 * unless `asDashboard`: then it decodes and keeps the spans as `outrig dev`'s receiver does.
 */
async function startOtlpSink(asDashboard: boolean): Promise<{
  url: string;
  bytes: () => number;
  exports: () => number;
  /** Time spent decoding and storing (the dashboard's receiver work), 0 for the plain sink. */
  receiverMs: () => number;
  close: () => Promise<void>;
}> {
  let bytes = 0;
  let exports = 0;
  let receiverMs = 0;
  const store = new TraceStore();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (asDashboard) chunks.push(chunk);
    });
    req.on('end', () => {
      exports++;
      if (asDashboard) {
        const began = performance.now();
        store.add(spansFromOtlp(decodeOtlpTraceProtobuf(Buffer.concat(chunks)), 'protobuf'));
        receiverMs += performance.now() - began;
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes: () => bytes,
    exports: () => exports,
    receiverMs: () => receiverMs,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
