// What each kit feature costs: the kit hello route with one feature switched off at a time,
// alternating with the full kit in every round (same run, same machine). A feature's cost is
// the throughput it gives back when removed. Flags as kit.bench.ts.
// Usage: npm run bench:kit-features -- [--rounds 3] [--duration 5] [--connections 100] [--logs file|devnull]
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLoadArgs } from './lib/args.ts';
import { runLoad } from './lib/load.ts';
import { machineLine } from './lib/machine.ts';
import { median, printJsonLine, printTable, round } from './lib/report.ts';
import { type ServerProcess, startServer } from './lib/server-process.ts';

const root = join(import.meta.dirname, '..');
const args = parseLoadArgs(process.argv.slice(2));
const logTo = args.logs === 'file' ? join(tmpdir(), `outrig-bench-features-${process.pid}.log`) : '/dev/null';
const HELLO = '/api/v1/hello';

/** Each variant: environment for the kit server (config env vars, BENCH_ROUTE_OFF). */
const variants: { name: string; env: Record<string, string> }[] = [
  { name: 'kit (all on)', env: {} },
  { name: 'LOG_LEVEL=silent', env: { LOG_LEVEL: 'silent' } },
  { name: 'route log: false', env: { BENCH_ROUTE_OFF: 'log' } },
  { name: 'METRICS_ENABLED=false', env: { METRICS_ENABLED: 'false' } },
  { name: 'API_DOCS_ENABLED=false', env: { API_DOCS_ENABLED: 'false' } },
  { name: 'route envelope: false', env: { BENCH_ROUTE_OFF: 'envelope' } },
  {
    name: 'all of the above off',
    env: {
      LOG_LEVEL: 'silent',
      METRICS_ENABLED: 'false',
      API_DOCS_ENABLED: 'false',
      BENCH_ROUTE_OFF: 'envelope',
    },
  },
];

console.log(`# kit features bench — ${machineLine()}`);
console.log(
  `# ${args.rounds} rounds × ${args.duration} s per variant, ${args.connections} connections; ` +
    `logs (LOG_LEVEL=info unless set) → ${args.logs === 'file' ? logTo : '/dev/null'}`,
);

const servers: ServerProcess[] = [];
const rps = new Map<string, number[]>(variants.map((v) => [v.name, []]));
const p99 = new Map<string, number[]>(variants.map((v) => [v.name, []]));
const cpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
let failures = 0;
try {
  for (const v of variants) {
    servers.push(
      await startServer({
        script: join(root, 'bench/servers/kit-server.ts'),
        env: { LOG_LEVEL: 'info', ...v.env },
        stdoutTo: logTo,
      }),
    );
  }
  const load = (s: ServerProcess, duration = args.duration) =>
    runLoad({ url: s.url + HELLO, duration, connections: args.connections, serverPid: s.pid });
  if (args.warmup > 0) for (const s of servers) await load(s, args.warmup);
  for (let i = 0; i < args.rounds; i++) {
    // Rotate the order each round so no variant always runs right after the same neighbour.
    const order = variants.map((_, j) => (j + i) % variants.length);
    for (const j of order) {
      const r = await load(servers[j]!);
      failures += r.errors + r.non2xx;
      rps.get(variants[j]!.name)!.push(r.rps);
      p99.get(variants[j]!.name)!.push(r.p99);
      cpu.get(variants[j]!.name)!.push(r.cpuUsPerReq ?? Number.NaN);
    }
    console.log(`round ${i + 1} done`);
  }
} finally {
  for (const s of servers) await s.stop();
  if (args.logs === 'file') rmSync(logTo, { force: true });
}

const full = median(rps.get('kit (all on)')!);
const fullCpu = median(cpu.get('kit (all on)')!);
const rows = variants.map((v) => {
  const m = median(rps.get(v.name)!);
  const c = median(cpu.get(v.name)!);
  const perRound = rps.get(v.name)!.map((x) => round(x));
  return [
    v.name,
    ...perRound,
    round(m),
    `${round((m / full - 1) * 100, 1)} %`,
    round(median(p99.get(v.name)!), 2),
    round(c, 1),
    round(fullCpu - c, 1),
  ];
});
console.log('');
const roundHeaders = Array.from({ length: args.rounds }, (_, i) => `r${i + 1} req/s`);
printTable(
  ['variant', ...roundHeaders, 'median req/s', 'vs all on', 'p99 ms', 'CPU µs/req', 'µs saved'],
  rows,
);
console.log('');
if (failures > 0) {
  console.error(`warning: ${failures} errors or non-2xx responses: the figures above are not valid`);
  process.exitCode = 1;
}
printJsonLine({
  bench: 'kit-features',
  rps: Object.fromEntries(variants.map((v) => [v.name, round(median(rps.get(v.name)!))])),
  cpu_us_per_req: Object.fromEntries(variants.map((v) => [v.name, round(median(cpu.get(v.name)!), 1)])),
});
