// CPU profile of the gateway under load (same setup as bench:gateway): which functions and which
// packages take its time. A diagnosis tool, not a *.bench.ts.
// Usage: node bench/gateway/profile-gateway.ts [--duration 5] [--connections 100] [--top 30]

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLoadArgs } from '../lib/args.ts';
import { printProfileSummary, summarizeCpuProfile } from '../lib/cpu-profile.ts';
import { runLoad } from '../lib/load.ts';
import { round } from '../lib/report.ts';
import { startServer } from '../lib/server-process.ts';
import { startIssuer } from './issuer.ts';

const args = parseLoadArgs(process.argv.slice(2), ['top']);
const top = Number(args.extra.top ?? 30);
const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'outrig-gw-prof-'));
const issuer = await startIssuer();
const upstream = await startServer({ script: join(root, 'bench/servers/bare-server.ts') });
const gateway = await startServer({
  script: join(root, 'bench/gateway/gateway-server.ts'),
  env: {
    ...issuer.env,
    REGISTRY_URL: `static:bench-upstream=${upstream.url}`,
    AUTO_REGISTER_SERVICE: 'false',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    GATEWAY_ACCESS_LOG: process.env.GATEWAY_ACCESS_LOG ?? 'false',
    RATE_LIMIT_MAX: '1000000000',
  },
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  stdoutTo: args.logs === 'file' ? join(dir, 'gateway.log') : '/dev/null',
});
const headers = {
  authorization: `Bearer ${issuer.token}`,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};
let rps = 0;
let cpu = 0;
try {
  const url = `${gateway.url}/api/v1/hello`;
  await runLoad({ url, duration: 2, connections: args.connections, headers });
  const r = await runLoad({
    url,
    duration: args.duration,
    connections: args.connections,
    headers,
    serverPid: gateway.pid,
  });
  rps = r.rps;
  cpu = r.cpuUsPerReq ?? 0;
} finally {
  await gateway.stop(15_000);
  await upstream.stop();
  await issuer.close();
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile in ${dir}`);
const summary = summarizeCpuProfile(join(dir, file));
rmSync(dir, { recursive: true, force: true });
console.log(`# gateway at ${round(rps)} req/s, ${round(cpu, 1)} µs CPU/req (profiling slows it)`);
printProfileSummary(summary, top);
