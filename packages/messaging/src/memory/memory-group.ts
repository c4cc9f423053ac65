import type { TraceCarrier } from '../tracing/trace-carrier.ts';

/**
 * One consumer group inside a {@link MemoryHub}: per-key FIFO queues, a key is handed to one
 * member at a time, and its head stays at the front until acked — so a nacked or crashed
 * delivery comes back before any later message of that key.
 */

/** A published message as the hub keeps it: the event as JSON, like a real wire. */
export interface StoredMessage {
  readonly topic: string;
  readonly key: string;
  readonly json: string;
  /** The transport headers' trace context (`OutgoingMessage.traceContext`), passed through. */
  readonly traceContext?: Readonly<TraceCarrier>;
}

/** How a member settles a delivery; returns false when it was already settled (or revoked). */
export type Settle = (result: 'ack' | { readonly delayMs: number }) => boolean;

/** What the group needs from a member (one subscription of one broker instance). */
export interface GroupMember {
  readonly topics: ReadonlySet<string>;
  readonly maxInFlight: number;
  inFlight: number;
  deliver(message: StoredMessage, attempt: number, settle: Settle): void;
}

interface Entry {
  readonly message: StoredMessage;
  attempt: number;
}

interface KeyQueue {
  readonly id: string;
  readonly entries: Entry[];
  busy: boolean;
  readyAt: number;
}

export class MemoryGroup {
  readonly name: string;
  readonly #topics = new Set<string>();
  // Map order doubles as a fair round-robin across keys: a settled key moves to the end.
  readonly #queues = new Map<string, KeyQueue>();
  readonly #members: GroupMember[] = [];
  #next = 0;
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(name: string) {
    this.name = name;
  }

  hasTopic(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** Starts following `topic`; `backlog` is what a new group sees first (`earliest`). */
  join(topic: string, backlog: readonly StoredMessage[]): void {
    if (this.#topics.has(topic)) return;
    this.#topics.add(topic);
    for (const message of backlog) this.enqueue(message);
  }

  enqueue(message: StoredMessage): void {
    const id = `${message.topic}\u0000${message.key}`;
    let queue = this.#queues.get(id);
    if (!queue) {
      queue = { id, entries: [], busy: false, readyAt: 0 };
      this.#queues.set(id, queue);
    }
    queue.entries.push({ message, attempt: 0 });
    if (!queue.busy) this.schedule();
  }

  addMember(member: GroupMember): void {
    this.#members.push(member);
    this.schedule();
  }

  removeMember(member: GroupMember): void {
    const i = this.#members.indexOf(member);
    if (i >= 0) this.#members.splice(i, 1);
  }

  /** Coalesces dispatch to one pass per event-loop turn; never delivers synchronously. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    const now = Date.now();
    let wake = Number.POSITIVE_INFINITY;
    for (const queue of this.#queues.values()) {
      if (queue.busy) continue;
      const head = queue.entries[0];
      if (!head) {
        this.#queues.delete(queue.id);
        continue;
      }
      if (queue.readyAt > now) {
        wake = Math.min(wake, queue.readyAt);
        continue;
      }
      const member = this.#pick(head.message.topic);
      if (!member) continue;
      queue.busy = true;
      head.attempt++;
      member.inFlight++;
      member.deliver(head.message, head.attempt, this.#settler(queue, member));
    }
    if (wake < Number.POSITIVE_INFINITY) this.#wakeAt(wake);
  }

  #settler(queue: KeyQueue, member: GroupMember): Settle {
    let done = false;
    return (result) => {
      if (done) return false;
      done = true;
      member.inFlight--;
      queue.busy = false;
      if (result === 'ack') queue.entries.shift();
      else queue.readyAt = Date.now() + Math.max(0, result.delayMs);
      this.#queues.delete(queue.id);
      if (queue.entries.length > 0) this.#queues.set(queue.id, queue);
      this.schedule();
      return true;
    };
  }

  #pick(topic: string): GroupMember | undefined {
    const n = this.#members.length;
    for (let i = 0; i < n; i++) {
      const index = (this.#next + i) % n;
      const member = this.#members[index];
      if (member?.topics.has(topic) && member.inFlight < member.maxInFlight) {
        this.#next = index + 1;
        return member;
      }
    }
    return undefined;
  }

  #wakeAt(at: number): void {
    if (this.#timer && this.#timerAt <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.schedule();
      },
      Math.max(0, at - Date.now()),
    );
    this.#timer.unref();
  }
}
