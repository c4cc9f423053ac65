// Gateway overhead: the same upstream (bare Fastify hello) reached directly, through @outrig/gateway
// with every edge feature on, through a plain @fastify/reply-from proxy, and through nginx (one
// worker, upstream keep-alive) — throughput at 100 connections in alternating rounds, and the
// latency each proxy adds at one connection.
// Usage: npm run bench:gateway -- [--rounds 3] [--duration 5] [--connections 100] [--warmup 3]
//        [--logs file|devnull] [--latency-duration 3]

import { rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIssuer } from './gateway/issuer.ts';
import { type LatencyResult, probeLatency } from './gateway/latency-probe.ts';
import { type NginxProxy, nginxInstalled, startNginx } from './gateway/nginx.ts';
import { parseLoadArgs } from './lib/args.ts';
import type { LoadResult } from './lib/load.ts';
import { runLoad } from './lib/load.ts';
import { machineLine } from './lib/machine.ts';
import { median, printJsonLine, printTable, round } from './lib/report.ts';
import { type ServerProcess, startServer } from './lib/server-process.ts';

const root = join(import.meta.dirname, '..');
const loadAtStart = loadavg()[0] ?? 0;
const args = parseLoadArgs(process.argv.slice(2), ['latency-duration']);
const latencySeconds = Number(args.extra['latency-duration'] ?? 3);
const logTo = args.logs === 'file' ? join(tmpdir(), `outrig-bench-gateway-${process.pid}.log`) : '/dev/null';
const HELLO = '/api/v1/hello';

console.log(`# gateway bench — ${machineLine()}`);
console.log(
  `# ${args.rounds} alternating rounds × ${args.duration} s at ${args.connections} connections ` +
    `(${args.warmup} s warm-up each), then ${latencySeconds} s at 1 connection per target; ` +
    `gateway logs: LOG_LEVEL=info → ${args.logs === 'file' ? logTo : '/dev/null'}`,
);

const issuer = await startIssuer();
// Every target gets the same request: a bearer token and a W3C traceparent (read by the gateway only).
const headers = {
  authorization: `Bearer ${issuer.token}`,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

interface Target {
  name: 'direct' | 'gateway' | 'replyfrom' | 'nginx';
  url: string;
  /** The process whose CPU is measured (the proxy's; the upstream's for direct). */
  pid: number;
  stop(): Promise<unknown>;
}

const upstream = await startServer({ script: join(root, 'bench/servers/bare-server.ts') });
const targets: Target[] = [{ name: 'direct', url: upstream.url, pid: upstream.pid, stop: async () => {} }];
let nginx: NginxProxy | undefined;
try {
  const gateway = await startServer({
    script: join(root, 'bench/gateway/gateway-server.ts'),
    env: {
      ...issuer.env,
      REGISTRY_URL: `static:bench-upstream=${upstream.url}`,
      AUTO_REGISTER_SERVICE: 'false',
      LOG_LEVEL: 'info',
      // No line per proxied request (nginx runs with access_log off); warnings and errors still log.
      GATEWAY_ACCESS_LOG: 'false',
      RATE_LIMIT_MAX: '1000000000',
    },
    stdoutTo: logTo,
  });
  targets.push(asTarget('gateway', gateway));
  const replyfrom = await startServer({
    script: join(root, 'bench/gateway/replyfrom-server.ts'),
    env: { UPSTREAM_URL: upstream.url },
  });
  targets.push(asTarget('replyfrom', replyfrom));
  if (nginxInstalled()) {
    nginx = await startNginx(upstream.url);
    targets.push({ name: 'nginx', url: nginx.url, pid: nginx.workerPid, stop: () => nginx!.stop() });
  } else if (process.env.CI === 'true') {
    throw new Error('nginx is required under CI=true (apt-get install nginx-light)');
  } else {
    console.warn('nginx is not installed: its column is skipped (apt-get install nginx-light)');
  }
  await checkTargets();
  await measure();
} finally {
  for (const t of targets.reverse()) await t.stop();
  await upstream.stop();
  await issuer.close();
  if (args.logs === 'file') rmSync(logTo, { force: true });
}

function asTarget(name: Target['name'], server: ServerProcess): Target {
  return { name, url: server.url, pid: server.pid, stop: () => server.stop() };
}

/** Fails fast unless every target answers the hello, and the gateway really verifies tokens. */
async function checkTargets(): Promise<void> {
  for (const t of targets) {
    const res = await fetch(t.url + HELLO, { headers });
    const body = await res.text();
    if (res.status !== 200 || !body.includes('world')) {
      throw new Error(`${t.name} answered ${res.status} ${body}`);
    }
  }
  const gateway = targets.find((t) => t.name === 'gateway')!;
  const anonymous = await fetch(gateway.url + HELLO);
  if (anonymous.status !== 401)
    throw new Error(`the gateway let a request without token through (${anonymous.status})`);
  const withToken = await fetch(gateway.url + HELLO, { headers });
  for (const h of ['x-request-id', 'ratelimit-remaining']) {
    if (!withToken.headers.has(h)) throw new Error(`the gateway's answer lacks ${h}: an edge feature is off`);
  }
}

async function measure(): Promise<void> {
  const load = (t: Target, duration = args.duration) =>
    runLoad({
      url: t.url + HELLO,
      duration,
      connections: args.connections,
      headers,
      serverPid: t.pid,
    });
  if (args.warmup > 0) for (const t of targets) await load(t, args.warmup);
  const rounds: Map<Target['name'], LoadResult>[] = [];
  for (let i = 0; i < args.rounds; i++) {
    const round_ = new Map<Target['name'], LoadResult>();
    for (const t of targets) round_.set(t.name, await load(t));
    rounds.push(round_);
    console.log(
      `round ${i + 1}: ${targets.map((t) => `${t.name} ${round(round_.get(t.name)!.rps)} req/s`).join(', ')}`,
    );
  }
  const latency = new Map<Target['name'], LatencyResult>();
  for (const t of targets) latency.set(t.name, await probeLatency(t.url + HELLO, latencySeconds, headers));
  report(rounds, latency);
}

function report(
  rounds: Map<Target['name'], LoadResult>[],
  latency: Map<Target['name'], LatencyResult>,
): void {
  const med = (name: Target['name'], pick: (r: LoadResult) => number) =>
    median(rounds.map((r) => pick(r.get(name)!)));
  const names = targets.map((t) => t.name);
  const rps = Object.fromEntries(names.map((n) => [n, med(n, (r) => r.rps)]));
  const cpu = Object.fromEntries(names.map((n) => [n, med(n, (r) => r.cpuUsPerReq ?? Number.NaN)]));
  const failures = rounds.reduce(
    (sum, r) => sum + [...r.values()].reduce((s, x) => s + x.errors + x.non2xx, 0),
    0,
  );
  console.log('');
  printTable(
    [
      'target',
      'req/s (median)',
      'CPU µs/req (proxy; upstream for direct)',
      'p50 ms @1 conn',
      'p99 ms @1 conn',
    ],
    names.map((n) => [
      n,
      round(rps[n]!),
      round(cpu[n]!, 1),
      round(latency.get(n)!.p50, 3),
      round(latency.get(n)!.p99, 3),
    ]),
  );
  const direct = latency.get('direct')!;
  const gw = latency.get('gateway')!;
  const addedP50 = gw.p50 - direct.p50;
  const addedP99 = gw.p99 - direct.p99;
  const vsReplyFrom = rps.gateway! / rps.replyfrom!;
  const vsNginx = rps.nginx === undefined ? null : rps.gateway! / rps.nginx;
  console.log('');
  printTable(
    ['measure', 'value', 'target'],
    [
      ['gateway / reply-from throughput', round(vsReplyFrom, 3), '≥ 1.5'],
      ['gateway / nginx throughput', vsNginx === null ? 'n/a' : round(vsNginx, 3), ''],
      ['reply-from / nginx throughput', rps.nginx ? round(rps.replyfrom! / rps.nginx, 3) : 'n/a', ''],
      ['latency the gateway adds, p50 (1 connection)', `${round(addedP50, 3)} ms`, '≤ 0.25 ms'],
      ['latency the gateway adds, p99 (1 connection)', `${round(addedP99, 3)} ms`, '≤ 1 ms'],
      [
        'reply-from adds, p50 / p99',
        `${round(latency.get('replyfrom')!.p50 - direct.p50, 3)} / ${round(latency.get('replyfrom')!.p99 - direct.p99, 3)} ms`,
        '',
      ],
      ['gateway / reply-from CPU per request', round(cpu.gateway! / cpu.replyfrom!, 3), ''],
    ],
  );
  console.log('');
  if (failures > 0) {
    console.error(`warning: ${failures} errors or non-2xx responses: the figures above are not valid`);
    process.exitCode = 1;
  }
  printJsonLine({
    bench: 'gateway',
    direct_rps: round(rps.direct!),
    gateway_rps: round(rps.gateway!),
    replyfrom_rps: round(rps.replyfrom!),
    nginx_rps: rps.nginx === undefined ? null : round(rps.nginx),
    ratio_vs_replyfrom: round(vsReplyFrom, 3),
    ratio_vs_nginx: vsNginx === null ? null : round(vsNginx, 3),
    added_p50_ms: round(addedP50, 3),
    added_p99_ms: round(addedP99, 3),
    gateway_cpu_us_per_req: round(cpu.gateway!, 1),
    replyfrom_cpu_us_per_req: round(cpu.replyfrom!, 1),
    nginx_cpu_us_per_req: rps.nginx === undefined ? null : round(cpu.nginx!, 1),
    rounds: args.rounds,
    duration_s: args.duration,
    connections: args.connections,
    latency_duration_s: latencySeconds,
    logs: args.logs,
    load_avg_start: round(loadAtStart, 2),
  });
}
