/**
 * Runs tasks one at a time per key, in call order; different keys run concurrently. The broker
 * already serializes a key when it is `orderedByKey`; this keeps a key's handlers from
 * overlapping inside one process even on a broker that does not.
 */
export class KeyLock {
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const result = previous ? previous.then(task) : task();
    const tail = result.then(
      () => {},
      () => {},
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
