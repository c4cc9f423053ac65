import type { ServiceInstance } from '../registry.ts';
import { sameInstances } from './instance.ts';

export interface InstanceWatchOptions {
  /** Reads the current healthy list. */
  load: () => Promise<ServiceInstance[]>;
  onChange: (instances: ServiceInstance[]) => void;
  /** Re-read every `intervalMs` as well as on `trigger()` (0: only on trigger). Default 0. */
  intervalMs?: number;
  /** After a failed read, retry in `retryMs`, doubling up to `maxRetryMs`. Defaults 500 and 10 000. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Told about failed reads and throwing listeners; the watch goes on. */
  onError?: (err: unknown) => void;
}

/**
 * The part every adapter's `watch` shares: reads are serialized (a trigger during a read causes
 * one more read after it, not one per trigger), `onChange` fires only when the list differs from
 * the last one delivered, and failed reads are retried with backoff while the last list stands.
 */
export class InstanceWatch {
  readonly #o: InstanceWatchOptions;
  #last: ServiceInstance[] | undefined;
  #running = false;
  #pending = false;
  #stopped = false;
  #failures = 0;
  #poll: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;

  constructor(options: InstanceWatchOptions) {
    this.#o = options;
  }

  /** First read on the next turn of the event loop (never synchronously), then polling if set. */
  start(): this {
    setImmediate(() => this.trigger());
    const every = this.#o.intervalMs ?? 0;
    if (every > 0) this.#poll = setInterval(() => this.trigger(), every).unref();
    return this;
  }

  /** Something may have changed: read again (coalesced with a read in progress). */
  trigger(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#pending = true;
      return;
    }
    this.#running = true;
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#poll);
    clearTimeout(this.#retry);
  }

  async #run(): Promise<void> {
    do {
      this.#pending = false;
      try {
        const list = await this.#o.load();
        this.#failures = 0;
        if (!this.#stopped && (this.#last === undefined || !sameInstances(this.#last, list))) {
          this.#last = list;
          try {
            this.#o.onChange(list);
          } catch (err) {
            this.#o.onError?.(err);
          }
        }
      } catch (err) {
        this.#failures++;
        this.#o.onError?.(err);
        this.#scheduleRetry();
      }
    } while (this.#pending && !this.#stopped);
    this.#running = false;
  }

  #scheduleRetry(): void {
    const base = this.#o.retryMs ?? 500;
    const delay = Math.min(this.#o.maxRetryMs ?? 10_000, base * 2 ** Math.min(this.#failures - 1, 16));
    clearTimeout(this.#retry);
    if (this.#stopped) return;
    this.#retry = setTimeout(() => this.trigger(), delay).unref();
  }
}
