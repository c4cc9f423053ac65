/**
 * Decides whether a fetched message may open a member's queue of a partition it was just
 * assigned. The queue's first offset becomes the commit position, so a queue opened past the
 * partition's committed offset would commit over messages nobody handled (they are lost, and the
 * keys among them jump ahead: order broken).
 *
 * That happens with @platformatic/kafka: a fetch sent before a rebalance is answered after it,
 * and its records (read from where this member had got to) are pushed although the partition
 * was revoked meanwhile — or revoked and given back. So a queue opens only at the offset the
 * client read from the group for this assignment (`start`):
 * - no `start` yet (the client has not read the committed offsets since the rebalance): stale, drop;
 * - below `start`: handled and committed already, drop;
 * - above `start`: drop and rewind the fetch to `start`; if the rewound fetch returns the same
 *   first offset again, nothing lies in between (transaction markers, compaction): accept it.
 *
 * Pure bookkeeping, no I/O.
 */
export class PartitionStart {
  /** Per `topic:partition`: the first offset seen above `start`, while waiting for the rewound fetch. */
  readonly #gaps = new Map<string, { start: bigint; offset: bigint }>();

  /**
   * @param id `topic:partition`
   * @param offset the message's offset
   * @param start the offset this assignment starts from, as read by the client (undefined: not read yet)
   */
  admit(id: string, offset: bigint, start: bigint | undefined): 'open' | 'drop' | 'rewind' {
    if (start === undefined || offset < start) return 'drop';
    if (offset === start) {
      this.#gaps.delete(id);
      return 'open';
    }
    const gap = this.#gaps.get(id);
    if (gap && gap.start === start && gap.offset === offset) {
      this.#gaps.delete(id);
      return 'open';
    }
    // Remember the first offset above start only: later messages of the same (stale) response
    // are above it too, and must not count as the rewound fetch's answer.
    if (!gap || gap.start !== start) this.#gaps.set(id, { start, offset });
    return 'rewind';
  }

  /** The partition was revoked (or its queue dropped): forget what was waiting. */
  forget(id: string): void {
    this.#gaps.delete(id);
  }
}
