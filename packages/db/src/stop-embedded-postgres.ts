import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DbErrors } from './errors.ts';
import { isPostmasterOf, processAlive, readPostmasterPid } from './internal/postmaster-pid.ts';

/**
 * Stops the embedded server running on `dataDir`, whichever process started it (for
 * `outrig db stop`, or a server left running by a process that was killed). Fast shutdown
 * (SIGINT), then immediate (SIGQUIT) after `timeoutMs`. Resolves false when none was running.
 *
 * @example
 * await stopEmbeddedPostgres(path.resolve('.outrig/postgres'));
 */
export async function stopEmbeddedPostgres(
  dataDir: string,
  options: { timeoutMs?: number } = {},
): Promise<boolean> {
  if (typeof dataDir !== 'string' || !path.isAbsolute(dataDir)) {
    throw DbErrors.DB_OPTIONS_INVALID({ params: { reason: 'dataDir must be an absolute path' } });
  }
  const info = await readPostmasterPid(dataDir);
  if (!info || !(await isPostmasterOf(info.pid, dataDir))) return false;
  const timeoutMs = options.timeoutMs ?? 20_000;
  for (const signal of ['SIGINT', 'SIGQUIT', 'SIGKILL'] as const) {
    try {
      process.kill(info.pid, signal);
    } catch {
      return true; // already gone
    }
    const deadline = Date.now() + (signal === 'SIGINT' ? timeoutMs : 5_000);
    while (processAlive(info.pid) && Date.now() < deadline) await sleep(50);
    if (!processAlive(info.pid)) return true;
  }
  return true;
}
