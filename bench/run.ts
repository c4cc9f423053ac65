// `npm run bench [-- flags]`: runs every bench/*.bench.ts in turn, each in its own Node 24
// process (the one running this script), passing the flags through. Exits non-zero if any fails.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const passThrough = process.argv.slice(2);
const failed: string[] = [];

for (const file of benches) {
  console.log(`\n=== ${file} ${passThrough.join(' ')}`.trimEnd());
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [join(dir, file), ...passThrough], { stdio: 'inherit' });
    child.once('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  if (code !== 0) failed.push(`${file} (exit ${code})`);
}

console.log(`\n${benches.length - failed.length}/${benches.length} benchmarks completed`);
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
