// Kit feature costs without the network: each variant answers `inject()` requests in this one
// process, one at a time, and we measure CPU µs per request. No sockets, no load generator
// competing for the 2 cores: the steadiest view of what the kit's own code costs per request.
// Usage: npm run bench:kit-inject -- [--rounds 3] [--duration 5] [--logs file|devnull]
//   (--duration: seconds per variant per round; --connections and --warmup are accepted, unused
//   except warm-up, which runs each variant that many seconds first)
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { parseLoadArgs } from './lib/args.ts';
import { machineLine } from './lib/machine.ts';
import { median, printJsonLine, printTable, round } from './lib/report.ts';
import { buildBareApp } from './servers/bare-app.ts';
import { buildKitService, type RouteFeature } from './servers/kit-app.ts';

const args = parseLoadArgs(process.argv.slice(2));
const logTo = args.logs === 'file' ? join(tmpdir(), `outrig-bench-inject-${process.pid}.log`) : '/dev/null';
const HELLO = '/api/v1/hello';

interface Variant {
  name: string;
  env?: Record<string, string>;
  off?: RouteFeature[];
}
const variants: Variant[] = [
  { name: 'bare Fastify' },
  { name: 'kit (all on)', env: {} },
  { name: 'LOG_LEVEL=silent', env: { LOG_LEVEL: 'silent' } },
  { name: 'route log: false', env: {}, off: ['log'] },
  { name: 'METRICS_ENABLED=false', env: { METRICS_ENABLED: 'false' } },
  { name: 'API_DOCS_ENABLED=false', env: { API_DOCS_ENABLED: 'false' } },
  { name: 'route envelope: false', env: {}, off: ['envelope'] },
  {
    name: 'all of the above off',
    env: { LOG_LEVEL: 'silent', METRICS_ENABLED: 'false', API_DOCS_ENABLED: 'false' },
    off: ['envelope'],
  },
];

console.log(`# kit inject bench — ${machineLine()}`);
console.log(
  `# ${args.rounds} rounds × ${args.duration} s per variant, in-process inject(), one request at a time; ` +
    `logs (LOG_LEVEL=info unless set) → ${args.logs === 'file' ? logTo : '/dev/null'}`,
);

const apps: FastifyInstance[] = [];
for (const v of variants) {
  if (!v.env) {
    apps.push(buildBareApp());
    continue;
  }
  const logStream = pino.destination({ dest: logTo, sync: false });
  const service = buildKitService({ env: { LOG_LEVEL: 'info', ...v.env }, logStream, off: new Set(v.off) });
  apps.push(service.app as unknown as FastifyInstance);
}
for (const app of apps) {
  await app.ready();
  const res = await app.inject({ method: 'GET', url: HELLO });
  if (res.statusCode !== 200) throw new Error(`${HELLO} answered ${res.statusCode}: ${res.body}`);
}

/** Injects for `seconds`; returns CPU µs per request (this process: main thread + log writes). */
async function measure(app: FastifyInstance, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  const cpu = process.cpuUsage();
  let n = 0;
  while (performance.now() < end) {
    // Batches of 100 keep the clock reads out of the per-request cost.
    for (let i = 0; i < 100; i++) await app.inject({ method: 'GET', url: HELLO });
    n += 100;
    // inject() never leaves the microtask queue: let the event loop run so log writes complete
    // (otherwise the log buffer grows until the heap is full).
    await setImmediate();
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
}

const cpu = variants.map(() => [] as number[]);
if (args.warmup > 0) for (const app of apps) await measure(app, args.warmup);
for (let r = 0; r < args.rounds; r++) {
  for (let k = 0; k < variants.length; k++) {
    const j = (k + r) % variants.length;
    cpu[j]!.push(await measure(apps[j]!, args.duration));
  }
  console.log(`round ${r + 1} done`);
}
for (const app of apps) await app.close();
if (args.logs === 'file') rmSync(logTo, { force: true });

const med = cpu.map((c) => median(c));
const bare = med[0]!;
const full = med[1]!;
console.log('');
printTable(
  [
    'variant',
    ...Array.from({ length: args.rounds }, (_, i) => `r${i + 1} µs`),
    'median µs/req',
    'vs kit (all on)',
    'over bare',
  ],
  variants.map((v, i) => [
    v.name,
    ...cpu[i]!.map((c) => round(c, 1)),
    round(med[i]!, 1),
    round(med[i]! - full, 1),
    round(med[i]! - bare, 1),
  ]),
);
console.log('');
printJsonLine({
  bench: 'kit-inject',
  cpu_us_per_req: Object.fromEntries(variants.map((v, i) => [v.name, round(med[i]!, 1)])),
});
