import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = path.join(import.meta.dirname, '..', '..', 'packages', 'cli', 'src', 'bin.ts');

/** Milliseconds for `outrig new <tmp>/sys --yes --no-install --json` (the whole process). */
export async function measureNew(): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'outrig-bench-new-'));
  try {
    const started = performance.now();
    await run(process.execPath, [BIN, 'new', path.join(dir, 'sys'), '--yes', '--no-install', '--json'], {
      env: { ...process.env, CI: 'true' },
      timeout: 120_000,
    });
    return Math.round(performance.now() - started);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Milliseconds for `node -e ''`: the baseline cost of starting one Node process here. */
export async function measureNodeStart(): Promise<number> {
  const started = performance.now();
  await run(process.execPath, ['-e', '']);
  return Math.round(performance.now() - started);
}
