import type { CloudEvent } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';
import { MemoryGroup, type StoredMessage } from './memory-group.ts';

export interface MemoryHubOptions {
  /** Messages kept per topic for groups that start later from `earliest`. Default 10000. */
  readonly maxRetainedPerTopic?: number;
}

/**
 * The in-process "server" behind memory brokers: topic logs and consumer groups. Brokers that
 * share a hub behave like processes connected to one broker server (shared groups, crash
 * redelivery to the other members). Nothing survives the process.
 */
export class MemoryHub {
  readonly #topics = new Map<string, StoredMessage[]>();
  readonly #groups = new Map<string, MemoryGroup>();
  readonly #watchers = new Set<{ topics: ReadonlySet<string>; see: (message: StoredMessage) => void }>();
  readonly #maxRetained: number;

  constructor(options: MemoryHubOptions = {}) {
    const { maxRetainedPerTopic = 10_000 } = options;
    if (!Number.isInteger(maxRetainedPerTopic) || maxRetainedPerTopic < 0) {
      throw MessagingErrors.BUS_OPTIONS_INVALID({
        params: { reason: 'maxRetainedPerTopic must be a non-negative integer' },
      });
    }
    this.#maxRetained = maxRetainedPerTopic;
  }

  /** The events retained on `topic`, oldest first (a test helper: what was published). */
  messages(topic: string): CloudEvent[] {
    return (this.#topics.get(topic) ?? []).map((m) => JSON.parse(m.json) as CloudEvent);
  }

  /** Topics that have received at least one message. */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /**
   * Names of the consumer groups the hub holds, or only those following `topic` (a test helper:
   * a tail must add none).
   */
  groups(topic?: string): string[] {
    return [...this.#groups.values()]
      .filter((g) => topic === undefined || g.hasTopic(topic))
      .map((g) => g.name);
  }

  /**
   * @internal Calls `see` with every message appended to `topics` from now on (a tail: no
   * group, nothing retained for it). Returns the function that stops watching.
   */
  watch(topics: readonly string[], see: (message: StoredMessage) => void): () => void {
    const watcher = { topics: new Set(topics), see };
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  /** @internal Appends to the topic log and hands the message to every group following it. */
  append(message: StoredMessage): void {
    let log = this.#topics.get(message.topic);
    if (!log) {
      log = [];
      this.#topics.set(message.topic, log);
    }
    log.push(message);
    // Trim in chunks so a busy topic does not pay an O(n) splice on every publish.
    if (log.length > this.#maxRetained + Math.max(1, this.#maxRetained >> 3)) {
      log.splice(0, log.length - this.#maxRetained);
    }
    for (const group of this.#groups.values()) {
      if (group.hasTopic(message.topic)) group.enqueue(message);
    }
    for (const watcher of this.#watchers) {
      if (watcher.topics.has(message.topic)) watcher.see(message);
    }
  }

  /** @internal The group named `name`, created on first use; it lives as long as the hub. */
  group(name: string, topic: string, startFrom: 'earliest' | 'latest'): MemoryGroup {
    let group = this.#groups.get(name);
    if (!group) {
      group = new MemoryGroup(name);
      this.#groups.set(name, group);
    }
    if (!group.hasTopic(topic)) {
      group.join(topic, startFrom === 'earliest' ? (this.#topics.get(topic) ?? []) : []);
    }
    return group;
  }
}

/**
 * A new, private hub. Pass the same hub to several `createMemoryBroker({ hub })` calls to
 * simulate several processes on one broker server.
 *
 * @example
 * const hub = createMemoryHub();
 * const a = createMemoryBroker({ hub });
 * const b = createMemoryBroker({ hub }); // same groups and topics as `a`
 */
export function createMemoryHub(options?: MemoryHubOptions): MemoryHub {
  return new MemoryHub(options);
}

const named = new Map<string, MemoryHub>();

/**
 * The process-wide hub called `name` (created on first use): what `memory://<name>` resolves
 * to, so several services in one process can share a bus.
 */
export function sharedMemoryHub(name: string): MemoryHub {
  let hub = named.get(name);
  if (!hub) {
    hub = new MemoryHub();
    named.set(name, hub);
  }
  return hub;
}
