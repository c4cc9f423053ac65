import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

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
    const drained = await Promise.race([
      app.close().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
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
