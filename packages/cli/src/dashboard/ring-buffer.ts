/** A fixed-size buffer that keeps the latest `capacity` items, oldest first. */
export class RingBuffer<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length > this.#capacity) this.#items.splice(0, this.#items.length - this.#capacity);
  }

  /** The items, oldest first. */
  toArray(): T[] {
    return [...this.#items];
  }

  get size(): number {
    return this.#items.length;
  }
}
