/**
 * Server binaries a test starts itself (prometheus, promtool, etcd, …): found on `PATH`, skipped
 * locally when missing, required under `CI=true` — CI must never pass by skipping.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Directories searched after `PATH` (Debian puts server binaries in sbin). */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The absolute path of an executable named `name` on `PATH` (then the usual system
 * directories), or undefined.
 *
 * @example
 * const promtool = binaryPath('promtool'); // '/usr/bin/promtool'
 */
export function binaryPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/**
 * Whether the executable is installed. When it is not: under `CI=true` it throws (the test run
 * fails; `scripts/test-servers.sh` installs what the suite needs); otherwise it warns and returns
 * false so the caller can skip.
 *
 * @example
 * const hasPrometheus = binaryAvailable('prometheus');
 * describe.skipIf(!hasPrometheus)('scraping the shop', () => { … });
 */
export function binaryAvailable(name: string): boolean {
  if (binaryPath(name) !== undefined) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${name} is required under CI=true but is not installed (scripts/test-servers.sh)`);
  }
  console.warn(`[outrig/testing] ${name} is not installed: skipping its tests`);
  return false;
}
