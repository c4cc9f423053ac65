import { open, readFile, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from './postmaster-pid.ts';

/** A lock file older than this is stale whatever its pid says (pids are reused). */
const STALE_AFTER_MS = 120_000;

/**
 * Runs `fn` while holding `lockPath` (created exclusively, holding our pid), so that two
 * processes never initialise or start the same data directory at once. Waits up to
 * `timeoutMs` for another holder; a lock whose holder died, or that is older than two
 * minutes, is taken over. Calls `onTimeout` to build the error when the wait runs out.
 */
export async function withFileLock<T>(
  lockPath: string,
  timeoutMs: number,
  onTimeout: () => Error,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await isStale(lockPath)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw onTimeout();
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function isStale(lockPath: string): Promise<boolean> {
  const [text, st] = await Promise.all([
    readFile(lockPath, 'utf8').catch(() => ''),
    stat(lockPath).catch(() => undefined),
  ]);
  if (!st) return false; // released meanwhile: just retry
  const pid = Number.parseInt(text, 10);
  // An empty file is a holder between open() and write(): only its age can make it stale.
  if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) return true;
  return Date.now() - st.mtimeMs > STALE_AFTER_MS;
}
