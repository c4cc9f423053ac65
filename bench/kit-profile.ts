// CPU profile of the kit server under load: which functions and which packages take the time.
// Not a *.bench.ts (npm run bench skips it): a diagnosis tool for when the kit ratio drops.
// Usage: npm run bench:kit-profile -- [--duration 10] [--connections 100] [--logs file|devnull] [--top 25]
//   Kit config env vars pass through, e.g. METRICS_ENABLED=false npm run bench:kit-profile
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLoadArgs } from './lib/args.ts';
import { printProfileSummary, summarizeCpuProfile } from './lib/cpu-profile.ts';
import { runLoad } from './lib/load.ts';
import { round } from './lib/report.ts';
import { startServer } from './lib/server-process.ts';

const args = parseLoadArgs(process.argv.slice(2), ['top', 'script']);
const top = Number(args.extra.top ?? 25);
const root = join(import.meta.dirname, '..');
const script = args.extra.script ?? join(root, 'bench/servers/kit-server.ts');
const dir = mkdtempSync(join(tmpdir(), 'outrig-prof-'));
const logTo = args.logs === 'file' ? join(dir, 'service.log') : '/dev/null';

const server = await startServer({
  script,
  env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  stdoutTo: logTo,
});
let rps = 0;
try {
  await runLoad({
    url: `${server.url}/api/v1/hello`,
    duration: Math.min(3, args.duration),
    connections: args.connections,
  });
  const r = await runLoad({
    url: `${server.url}/api/v1/hello`,
    duration: args.duration,
    connections: args.connections,
  });
  rps = r.rps;
} finally {
  // SIGTERM → graceful stop → process.exit, which writes the profile.
  await server.stop(15_000);
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile in ${dir}: did the server exit cleanly?`);
const summary = summarizeCpuProfile(join(dir, file));
rmSync(dir, { recursive: true, force: true });

console.log(`# ${script} at ${round(rps)} req/s (profiling slows it); busy ${round(summary.busyMs)} ms`);
printProfileSummary(summary, top);
