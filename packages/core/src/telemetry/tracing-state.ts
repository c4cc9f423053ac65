import type { TracingSettings } from './tracing-config.ts';

/** What `createService()` needs from tracing started by the `--import` entry. */
export interface TracingHandle {
  readonly settings: TracingSettings;
  /** Gives spans their `service.name` when no variable named it (the first service built wins). */
  nameService(name: string): void;
  /** Exports every ended span now; resolves when done or after `timeoutMs`. */
  flush(timeoutMs: number): Promise<void>;
  /** Flushes, then stops the SDK (instrumentations stay patched but record nothing). */
  shutdown(): Promise<void>;
}

// On globalThis, not in a module variable: the `--import` entry and the service can get separate
// instances of this module (two installed copies of @outrig/core, or a test runner's own module
// graph) and must still meet.
const KEY = Symbol.for('outrig.tracing');
type Holder = { [KEY]?: TracingHandle };

/** The tracing this process started, if any. */
export function activeTracing(): TracingHandle | undefined {
  return (globalThis as Holder)[KEY];
}

/** Called once by the SDK bootstrap. */
export function setActiveTracing(handle: TracingHandle | undefined): void {
  (globalThis as Holder)[KEY] = handle;
}

/**
 * Exports the spans still buffered (the final requests' spans on SIGTERM). `createService`'s
 * `stop()` calls it as its last step; a no-op when tracing is off.
 */
export async function flushTracing(timeoutMs = 5000): Promise<void> {
  await activeTracing()?.flush(timeoutMs);
}
