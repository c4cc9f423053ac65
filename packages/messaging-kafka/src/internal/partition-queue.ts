/**
 * The messages one member holds of one (topic, partition): per-key FIFOs for dispatch (a key's
 * next message becomes ready only when the previous one is acked) and the offset order for the
 * commit position (the first message not yet acked). Pure bookkeeping, no I/O.
 */
export class PartitionQueue<T> {
  readonly topic: string;
  readonly partition: number;
  /** False once the partition was revoked or the member stopped: its entries are dropped. */
  alive = true;
  /** Leader epoch of the newest message, sent with commits. */
  leaderEpoch = -1;
  readonly #byKey = new Map<string, QueueEntry<T>[]>();
  #order: QueueEntry<T>[] = [];
  #start = 0;
  /** Next offset expected: older ones are re-fetches of what this member already holds. */
  #next: bigint | undefined;
  /** Offset last handed to commit(), to tell whether the position moved. */
  #committed: bigint | undefined;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /**
   * Takes a fetched message. Returns the entry when it is ready to dispatch now (first of its
   * key), `'queued'` when it waits behind its key, `'duplicate'` for an offset already held.
   */
  push(offset: bigint, key: string, value: T): QueueEntry<T> | 'queued' | 'duplicate' {
    if (this.#next !== undefined && offset < this.#next) return 'duplicate';
    this.#next = offset + 1n;
    const entry: QueueEntry<T> = { queue: this, offset, key, value, attempt: 1, done: false };
    this.#order.push(entry);
    const list = this.#byKey.get(key);
    if (list) {
      list.push(entry);
      return 'queued';
    }
    this.#byKey.set(key, [entry]);
    return entry;
  }

  /** Marks `entry` acked; returns the next entry of its key, now ready, if any. */
  done(entry: QueueEntry<T>): QueueEntry<T> | undefined {
    if (entry.done) return undefined;
    entry.done = true;
    const list = this.#byKey.get(entry.key);
    if (list?.[0] === entry) list.shift();
    else if (list) list.splice(list.indexOf(entry), 1);
    while (this.#start < this.#order.length && this.#order[this.#start]?.done) this.#start++;
    if (this.#start > 1024 && this.#start * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#start);
      this.#start = 0;
    }
    if (!list || list.length === 0) {
      this.#byKey.delete(entry.key);
      return undefined;
    }
    return list[0];
  }

  /** Offset to commit: the first message not acked, or the one after the newest. */
  position(): bigint | undefined {
    return this.#order[this.#start]?.offset ?? this.#next;
  }

  /** The position if it moved since the last call (and remembers it), else undefined. */
  takeCommit(): bigint | undefined {
    const position = this.position();
    if (position === undefined || position === this.#committed) return undefined;
    this.#committed = position;
    return position;
  }

  /** A commit of `offset` failed: offer it again next time. */
  commitFailed(offset: bigint): void {
    if (this.#committed === offset) this.#committed = undefined;
  }

  /** Messages held (not yet acked). */
  get size(): number {
    return this.#order.length - this.#start;
  }
}

/** One message held by a {@link PartitionQueue}. */
export interface QueueEntry<T> {
  readonly queue: PartitionQueue<T>;
  readonly offset: bigint;
  readonly key: string;
  readonly value: T;
  /** 1 on first delivery by this member; raised by each nack. */
  attempt: number;
  done: boolean;
}
