// Edge proxies: the HAProxy configuration `outrig deploy render` writes, against a hand-written
// nginx configuration doing the same routing (TLS at the edge, the route's path regex, upstream
// keep-alive), same upstream, same run; the rendered config with mTLS to the upstream against
// the same config with plain HTTP to it; and the Outrig gateway (plain HTTP, every edge feature
// on) for scale. Throughput at 100 keep-alive connections in alternating rounds.
// Usage: npm run bench:edge -- [--rounds 3] [--duration 5] [--connections 100] [--warmup 3]
// Needs Debian's haproxy and nginx (apt-get install haproxy nginx-light) and openssl.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { compileRoutes } from '@outrig/gateway/routes';
import { makeDevCerts } from '../packages/cli/src/deploy/deploy-certs.ts';
import type { DeployModel } from '../packages/cli/src/deploy/deploy-model.ts';
import { renderHaproxy, routeRegex } from '../packages/cli/src/deploy/render-haproxy.ts';
import { startIssuer } from './gateway/issuer.ts';
import { parseLoadArgs } from './lib/args.ts';
import { type LoadResult, runLoad } from './lib/load.ts';
import { machineLine } from './lib/machine.ts';
import { median, printJsonLine, printTable, round } from './lib/report.ts';
import { freePort, startServer } from './lib/server-process.ts';

// The edge certificate comes from a development CA this process does not trust otherwise.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
process.removeAllListeners('warning');

const root = join(import.meta.dirname, '..');
const loadAtStart = loadavg()[0] ?? 0;
const args = parseLoadArgs(process.argv.slice(2));
const HELLO = '/api/v1/hello';
const SERVICE = 'bench-upstream';

for (const tool of ['haproxy', 'nginx', 'openssl']) {
  if (spawnSync(tool, ['-v']).error) {
    console.error(`${tool} is not installed: apt-get install haproxy nginx-light openssl`);
    process.exit(1);
  }
}

console.log(`# edge bench — ${machineLine()}`);
console.log(
  `# ${args.rounds} alternating rounds × ${args.duration} s at ${args.connections} connections (${args.warmup} s warm-up each); ` +
    'HTTPS to haproxy and nginx (same certificate), plain HTTP to the gateway',
);

const dir = mkdtempSync(join(tmpdir(), 'outrig-bench-edge-'));
const certs = join(dir, 'certs');
await makeDevCerts({ dir: certs, caName: 'bench CA', names: ['edge', 'haproxy-client', SERVICE] });

interface Target {
  name: 'haproxy' | 'haproxy_mtls' | 'nginx' | 'gateway';
  url: string;
  pid: number;
  headers?: Record<string, string>;
  stop(): Promise<unknown>;
}

const children: ChildProcess[] = [];
const targets: Target[] = [];
const issuer = await startIssuer();
try {
  const plain = await startUpstream(false);
  const mtls = await startUpstream(true);
  const compiled = compileRoutes([{ path: '/api/*/hello', service: SERVICE }]);
  if (!compiled.ok) throw new Error(compiled.problems.join('; '));
  const model: DeployModel = {
    system: 'bench',
    namespace: 'bench',
    transport: 'memory',
    workspaceRoot: dir,
    systemRoot: dir,
    services: [
      {
        name: SERVICE,
        kind: 'service',
        port: plain.port,
        database: false,
        auth: false,
        workspaceDir: '.',
        workspaceDeps: [],
        entry: 'x.ts',
        env: {},
        calls: [],
        callers: [],
      },
    ],
    routes: compiled.routes,
    skippedRoutes: [],
    warnings: [],
    ops: { dashboards: [] },
  };
  targets.push(await startHaproxy('haproxy', model, plain.port, false));
  targets.push(await startHaproxy('haproxy_mtls', model, mtls.port, true));
  targets.push(
    await startNginx(plain.port, routeRegex(compiled.routes[0] as (typeof compiled.routes)[number])),
  );
  const gateway = await startServer({
    script: join(root, 'bench/gateway/gateway-server.ts'),
    env: {
      ...issuer.env,
      REGISTRY_URL: `static:bench-upstream=http://127.0.0.1:${plain.port}`,
      AUTO_REGISTER_SERVICE: 'false',
      LOG_LEVEL: 'warn',
      GATEWAY_ACCESS_LOG: 'false',
      RATE_LIMIT_MAX: '1000000000',
    },
  });
  targets.push({
    name: 'gateway',
    url: gateway.url,
    pid: gateway.pid,
    headers: { authorization: `Bearer ${issuer.token}` },
    stop: () => gateway.stop(),
  });
  for (const t of targets) {
    const res = await fetch(t.url + HELLO, t.headers ? { headers: t.headers } : {});
    if (res.status !== 200) throw new Error(`${t.name} answered ${res.status} ${await res.text()}`);
  }
  await measure();
} finally {
  for (const t of targets.reverse()) await t.stop();
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await issuer.close();
  rmSync(dir, { recursive: true, force: true });
}

async function waitPort(port: number, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(25);
  }
  throw new Error(`${what} did not listen on ${port}`);
}

async function startUpstream(tls: boolean): Promise<{ port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'bench/edge/upstream-server.ts')], {
    env: {
      ...process.env,
      PORT: String(port),
      ...(tls
        ? {
            TLS_CERT_FILE: join(certs, `${SERVICE}.crt`),
            TLS_KEY_FILE: join(certs, `${SERVICE}.key`),
            TLS_CLIENT_CA_FILE: join(certs, 'ca.pem'),
          }
        : {}),
    },
    stdio: 'ignore',
  });
  children.push(child);
  await waitPort(port, child, 'the upstream');
  return { port };
}

async function startHaproxy(
  name: Target['name'],
  model: DeployModel,
  upstream: number,
  tls: boolean,
): Promise<Target> {
  const port = await freePort();
  const cfg = join(dir, `${name}.cfg`);
  writeFileSync(
    cfg,
    renderHaproxy(model, {
      certDir: certs,
      httpBind: `127.0.0.1:${await freePort()}`,
      httpsBind: `127.0.0.1:${port}`,
      statsBind: `127.0.0.1:${await freePort()}`,
      meshBind: `127.0.0.1:${await freePort()}`,
      servers: { [SERVICE]: [`127.0.0.1:${upstream}`] },
      upstreamTls: tls,
      // The bench measures proxying; the rendered config logs every request to stdout.
    }).replace('  option httplog\n', '  option dontlog-normal\n'),
  );
  const child = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
  children.push(child);
  await waitPort(port, child, name);
  const url = `https://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (
      (await fetch(url + HELLO).then(
        (r) => r.status,
        () => 0,
      )) === 200
    )
      break;
    await sleep(50);
  }
  return { name, url, pid: child.pid as number, stop: async () => child.kill('SIGTERM') };
}

/** nginx by hand: the same TLS edge (certificate, TLS ≥ 1.2), the same path regex, upstream keep-alive. */
async function startNginx(upstream: number, regex: string): Promise<Target> {
  const prefix = join(dir, 'nginx');
  spawnSync('mkdir', ['-p', prefix]);
  spawnSync('chmod', ['-R', '777', dir]);
  const port = await freePort();
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `worker_processes auto;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream ${SERVICE} {
    server 127.0.0.1:${upstream};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${certs}/edge.crt;
    ssl_certificate_key ${certs}/edge.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    keepalive_requests 1000000;
    location ~ ${regex.replace(/\$/g, '$')} {
      proxy_pass http://${SERVICE};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
    }
    location / { return 404; }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: 'ignore',
  });
  children.push(child);
  await waitPort(port, child, 'nginx');
  return {
    name: 'nginx',
    url: `https://127.0.0.1:${port}`,
    pid: child.pid as number,
    stop: async () => child.kill('SIGQUIT'),
  };
}

async function measure(): Promise<void> {
  const load = (t: Target, duration = args.duration) =>
    runLoad({
      url: t.url + HELLO,
      duration,
      connections: args.connections,
      ...(t.headers ? { headers: t.headers } : {}),
    });
  if (args.warmup > 0) for (const t of targets) await load(t, args.warmup);
  const rounds: Map<Target['name'], LoadResult>[] = [];
  for (let i = 0; i < args.rounds; i++) {
    const r = new Map<Target['name'], LoadResult>();
    for (const t of targets) r.set(t.name, await load(t));
    rounds.push(r);
    console.log(
      `round ${i + 1}: ${targets.map((t) => `${t.name} ${round((r.get(t.name) as LoadResult).rps)} req/s`).join(', ')}`,
    );
  }
  const rps = (name: Target['name']) => median(rounds.map((r) => (r.get(name) as LoadResult).rps));
  const p99 = (name: Target['name']) => median(rounds.map((r) => (r.get(name) as LoadResult).p99));
  const failures = rounds.reduce(
    (sum, r) => sum + [...r.values()].reduce((s, x) => s + x.errors + x.non2xx, 0),
    0,
  );
  console.log('');
  printTable(
    ['target', 'req/s (median)', 'p99 ms (median)'],
    targets.map((t) => [t.name, round(rps(t.name)), round(p99(t.name), 2)]),
  );
  const vsNginx = rps('haproxy') / rps('nginx');
  const mtlsVsPlain = rps('haproxy_mtls') / rps('haproxy');
  console.log('');
  printTable(
    ['measure', 'value', 'target'],
    [
      ['rendered haproxy / nginx throughput', round(vsNginx, 3), '≥ 0.9'],
      ['haproxy with mTLS to upstream / plain upstream', round(mtlsVsPlain, 3), '≥ 0.85'],
    ],
  );
  if (failures > 0) {
    console.error(`warning: ${failures} errors or non-2xx responses: the figures above are not valid`);
    process.exitCode = 1;
  }
  const loadAtEnd = loadavg()[0] ?? 0;
  printJsonLine({
    bench: 'edge',
    nginx_rps: round(rps('nginx')),
    haproxy_rps: round(rps('haproxy')),
    haproxy_mtls_rps: round(rps('haproxy_mtls')),
    outrig_gateway_rps: round(rps('gateway')),
    haproxy_vs_nginx: round(vsNginx, 3),
    haproxy_mtls_vs_plain: round(mtlsVsPlain, 3),
    load_avg_start: round(loadAtStart, 2),
    load_avg_end: round(loadAtEnd, 2),
  });
}
