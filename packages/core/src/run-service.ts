import type { ConfigProblem } from './config/load-config.ts';
import { isOutrigError } from './errors/outrig-error.ts';

/** Exit code for bad configuration (EX_CONFIG from sysexits.h). */
export const EXIT_CONFIG = 78;

interface Startable {
  readonly name?: string;
  start(): Promise<string>;
}

/**
 * Builds and starts a service as a process: a configuration error prints each bad variable and
 * exits 78; any other start failure prints its message and exits 1.
 *
 * @example
 * await runService(() => buildInventoryService());
 */
export async function runService<S extends Startable>(build: () => S | Promise<S>): Promise<S> {
  try {
    const service = await build();
    await service.start();
    return service;
  } catch (err) {
    exitOnConfigError(err);
    const e = err as Error & { code?: string };
    process.stderr.write(`Failed to start${e.code ? ` (${e.code})` : ''}: ${e.message}\n`);
    process.exit(1);
  }
}

/**
 * For `CONFIG_INVALID`: prints one line per variable to stderr and exits 78 (EX_CONFIG), so that
 * a launcher or an orchestrator tells a bad configuration from a crash. Returns for other errors.
 */
export function exitOnConfigError(err: unknown): void {
  if (!isOutrigError(err, 'CONFIG_INVALID')) return;
  const problems = (err.details?.problems ?? []) as ConfigProblem[];
  const lines = problems.map((p) =>
    p.got === undefined
      ? `  ${p.variable} is required: expected ${p.expected}`
      : `  ${p.variable}=${JSON.stringify(p.got)} is invalid: expected ${p.expected}`,
  );
  process.stderr.write(`Invalid configuration (CONFIG_INVALID):\n${lines.join('\n')}\n`);
  process.exit(EXIT_CONFIG);
}
