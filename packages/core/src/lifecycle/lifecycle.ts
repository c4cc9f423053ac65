import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** How often a draining server closes connections that became idle (see `#run`). */
const IDLE_SWEEP_MS = 20;

/** A resource to release at shutdown (database pool, broker, relay, registry entry). */
export type CloseHook = () => Promise<void> | void;

/**
 * Graceful shutdown: stop accepting, let in-flight requests finish (bounded), then run close
 * hooks in reverse order of registration (last opened, first closed). Idempotent.
 */
export class Lifecycle {
  readonly #hooks: { name: string; fn: CloseHook }[] = [];
  #closing: Promise<boolean> | undefined;

  onClose(name: string, fn: CloseHook): void {
    this.#hooks.push({ name, fn });
  }

  /** Resolves true when everything closed cleanly within the timeout. */
  close(app: FastifyInstance, log: FastifyBaseLogger, timeoutMs: number): Promise<boolean> {
    this.#closing ??= this.#run(app, log, timeoutMs);
    return this.#closing;
  }

  async #run(app: FastifyInstance, log: FastifyBaseLogger, timeoutMs: number): Promise<boolean> {
    let clean = true;
    let timer: NodeJS.Timeout | undefined;
    // server.close() ends idle keep-alive connections once; a connection whose request was still
    // in flight becomes idle only after its response, and would then hold the drain open until
    // the client's or the server's keep-alive timeout. Close such connections as soon as they idle.
    const sweeper = setInterval(() => app.server.closeIdleConnections?.(), IDLE_SWEEP_MS);
    const drained = await Promise.race([
      app.close().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    clearInterval(sweeper);
    if (!drained) {
      clean = false;
      log.warn(
        { timeoutMs },
        'in-flight requests did not finish within SHUTDOWN_TIMEOUT_MS; closing connections',
      );
      app.server.closeAllConnections();
    }
    for (const { name, fn } of [...this.#hooks].reverse()) {
      try {
        await fn();
      } catch (err) {
        clean = false;
        log.error({ err, hook: name }, 'close hook failed');
      }
    }
    return clean;
  }
}
