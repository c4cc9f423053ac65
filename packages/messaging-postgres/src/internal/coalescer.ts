/**
 * Runs an async job one at a time, coalescing requests: a request made while the job runs is
 * served by one more run right after it, shared by every request made meanwhile. `run()`
 * resolves when a run that started after the request has finished. The job reports its own
 * errors; a rejection here is swallowed so waiters never hang or throw.
 */
export class Coalescer {
  readonly #job: () => Promise<void>;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  constructor(job: () => Promise<void>) {
    this.#job = job;
  }

  run(): Promise<void> {
    if (this.#running === undefined) {
      this.#running = this.#job()
        .catch(() => {})
        .finally(() => {
          this.#running = undefined;
        });
      return this.#running;
    }
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined;
      return this.run();
    });
    return this.#queued;
  }
}
