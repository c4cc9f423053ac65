import type { Delivery, DeliveryHandler, SubscribeOptions, Subscription } from '@outrig/messaging';
import { Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import { KafkaErrors } from '../errors.ts';
import type { ResolvedKafkaBrokerOptions } from '../kafka-broker-options.ts';
import { decodeEvent } from './binary-mode.ts';
import { OffsetMetadata } from './offset-metadata.ts';
import { PartitionQueue, type QueueEntry } from './partition-queue.ts';
import { PartitionStart } from './partition-start.ts';

/** Delay of the redelivery when a handler throws instead of settling its delivery. */
const HANDLER_ERROR_NACK_MS = 1000;

type Record = Message<Buffer, Buffer, Buffer, Buffer>;
type Decoded = ReturnType<typeof decodeEvent>;

export interface GroupMemberDeps {
  readonly options: ResolvedKafkaBrokerOptions;
  /** Kafka topic name of an event topic (the prefix applied). */
  kafkaTopic(topic: string): string;
  /** Event topic of a Kafka topic (the prefix removed). */
  eventTopic(kafkaTopic: string): string;
}

/**
 * One member of a consumer group: a Kafka consumer (group = the subscription's group) whose
 * fetched messages are handed to the handler per key in offset order, different keys (also of
 * one partition) concurrently up to `maxInFlight`. The committed offset of a partition is its
 * first message not yet acked, so nothing is skipped after a crash and only acked work is
 * behind the commit; a nack holds its key (not the partition) until its delay has passed.
 */
export class GroupMember implements Subscription {
  readonly #deps: GroupMemberDeps;
  readonly #group: string;
  readonly #handler: DeliveryHandler;
  readonly #maxInFlight: number;
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  readonly #queues = new Map<string, PartitionQueue<Record>>();
  /** `topic:partition` of the current assignment (since the last join). */
  #owned = new Set<string>();
  readonly #starts = new PartitionStart();
  readonly #metadata: OffsetMetadata;
  /** Offset of the first message of a newly owned partition, until its delivery count is recorded. */
  readonly #firstOffsets = new Map<PartitionQueue<Record>, bigint>();
  readonly #ready: QueueEntry<Record>[] = [];
  #inFlight = 0;
  #buffered = 0;
  readonly #running = new Set<Promise<void>>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #committing: Promise<void> | undefined;
  #commitAgain = false;
  #stopped = false;
  #crashed = false;
  #closing: Promise<void> | undefined;

  private constructor(deps: GroupMemberDeps, group: string, maxInFlight: number, handler: DeliveryHandler) {
    this.#deps = deps;
    this.#group = group;
    this.#handler = handler;
    this.#maxInFlight = maxInFlight;
    const o = deps.options;
    this.#consumer = new Consumer({
      clientId: o.clientId,
      bootstrapBrokers: [...o.brokers],
      groupId: group,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      rebalanceTimeout: o.rebalanceTimeoutMs,
      timeout: o.requestTimeoutMs,
      maxWaitTime: o.fetchMaxWaitMs,
      autocommit: false,
      autocreateTopics: o.autocreateTopics,
      retries: 5,
      retryDelay: 250,
    });
    // The client emits `error` after some failures (a close during a rebalance): never crash.
    this.#consumer.on('error', (err: Error) => this.#report(this.#consumerFailed(err)));
    this.#consumer.on('consumer:group:join', () => this.#onJoin());
    this.#metadata = new OffsetMetadata(this.#consumer);
  }

  /** Joins the group and starts fetching; resolves once the member has its assignment. */
  static async open(
    deps: GroupMemberDeps,
    topics: readonly string[],
    options: SubscribeOptions,
    maxInFlight: number,
    handler: DeliveryHandler,
  ): Promise<GroupMember> {
    const member = new GroupMember(deps, options.group, maxInFlight, handler);
    const kafkaTopics = [...new Set(topics)].map((t) => deps.kafkaTopic(t));
    try {
      const o = deps.options;
      const stream = await member.#consumer.consume({
        topics: kafkaTopics,
        mode: 'committed',
        fallbackMode: options.startFrom === 'latest' ? 'latest' : 'earliest',
        autocommit: false,
        sessionTimeout: o.sessionTimeoutMs,
        heartbeatInterval: o.heartbeatIntervalMs,
        rebalanceTimeout: o.rebalanceTimeoutMs,
        maxWaitTime: o.fetchMaxWaitMs,
      });
      member.#attach(stream);
    } catch (cause) {
      await member.#consumer.close(true).catch(() => {});
      throw KafkaErrors.KAFKA_SUBSCRIBE_FAILED({
        params: { group: options.group, topics: kafkaTopics.join(',') },
        cause,
      });
    }
    return member;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stop();
      // In-flight handlers settle (ack/nack), then their offsets are committed before leaving.
      await Promise.allSettled([...this.#running]);
      await this.#flushCommits();
      await this.#stream?.close().catch(() => {});
      await this.#consumer.close(true).catch(() => {});
    })();
    return this.#closing;
  }

  /**
   * A crash, for tests: stop at once without settling, committing or waiting for handlers.
   * The group moves this member's partitions on (the leave request is still sent, so it does
   * not wait for the session timeout).
   */
  async crash(): Promise<void> {
    this.#crashed = true;
    this.#stop();
    this.#closing ??= (async () => {
      await this.#stream?.close().catch(() => {});
      await this.#consumer.close(true).catch(() => {});
    })();
    await this.#closing;
  }

  #stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#ready.length = 0;
    this.#stream?.pause();
  }

  #attach(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): void {
    this.#stream = stream;
    stream.on('data', (message: Record) => this.#onMessage(message));
    stream.on('error', (err: Error) => this.#report(this.#consumerFailed(err)));
  }

  /**
   * A rebalance finished: forget the partitions this member no longer owns — their queues and
   * the client's fetch position (so that, given back later without a committed offset, the
   * partition starts from the group's fallback, not from where this member had read to).
   * Runs before the stream's own join listener (registered first), which re-reads the committed
   * offsets of the new assignment.
   */
  #onJoin(): void {
    const owned = new Set<string>();
    for (const a of this.#consumer.assignments ?? []) {
      for (const p of a.partitions) owned.add(`${a.topic}:${p}`);
    }
    for (const id of this.#owned) {
      if (owned.has(id)) continue;
      this.#stream?.offsetsToFetch.delete(id);
      this.#starts.forget(id);
    }
    this.#owned = owned;
    for (const [id, queue] of this.#queues) {
      if (owned.has(id)) continue;
      queue.alive = false;
      this.#firstOffsets.delete(queue);
      this.#buffered -= queue.size;
      this.#queues.delete(id);
    }
    this.#resumeIfRoom();
  }

  #onMessage(message: Record): void {
    if (this.#stopped) return;
    const id = `${message.topic}:${message.partition}`;
    if (!this.#assigned(message.topic, message.partition)) {
      // Fetched before a rebalance took the partition away: another member handles it now.
      // The client moved its fetch position past these records: forget it (see #onJoin).
      this.#stream?.offsetsToFetch.delete(id);
      return;
    }
    let queue = this.#queues.get(id);
    if (!queue) {
      // The queue's first offset becomes the commit position: it must be where this assignment
      // starts (see PartitionStart), or a commit would skip messages nobody handled.
      const start = this.#stream?.offsetsCommitted.get(id);
      const admitted = this.#starts.admit(id, message.offset, start);
      // Not read yet (the client re-reads the offsets after every join, and fetches nothing
      // until it has): without a committed offset it would keep its own position, now past
      // these records, instead of the fallback — forget it.
      if (start === undefined) this.#stream?.offsetsToFetch.delete(id);
      else if (admitted === 'rewind') this.#stream?.offsetsToFetch.set(id, start);
      if (admitted !== 'open') return;
      queue = new PartitionQueue<Record>(message.topic, message.partition);
      this.#queues.set(id, queue);
      this.#firstOffsets.set(queue, message.offset);
    }
    queue.leaderEpoch = message.leaderEpoch;
    const key = message.key && message.key.length > 0 ? message.key.toString('utf8') : '';
    const pushed = queue.push(message.offset, key, message);
    if (pushed === 'duplicate') return;
    this.#buffered++;
    if (this.#buffered >= this.#deps.options.maxBuffered) this.#stream?.pause();
    if (pushed !== 'queued') this.#ready.push(pushed);
    this.#dispatch();
  }

  /** Whether the client's current assignment has the partition (it changes before `#onJoin` runs). */
  #assigned(topic: string, partition: number): boolean {
    return (this.#consumer.assignments ?? []).some(
      (a) => a.topic === topic && a.partitions.includes(partition),
    );
  }

  #dispatch(): void {
    while (!this.#stopped && this.#inFlight < this.#maxInFlight && this.#ready.length > 0) {
      const entry = this.#ready.shift() as QueueEntry<Record>;
      if (!entry.queue.alive || entry.done) continue;
      this.#inFlight++;
      const running = this.#run(entry).finally(() => {
        this.#running.delete(running);
        this.#inFlight--;
        this.#dispatch();
      });
      this.#running.add(running);
    }
  }

  async #run(entry: QueueEntry<Record>): Promise<void> {
    const message = entry.value;
    if (this.#firstOffsets.get(entry.queue) === entry.offset) {
      // First delivery from a partition this member just got: count it in Kafka first, so a
      // crash while handling it shows up as attempt 2 at the next owner.
      this.#firstOffsets.delete(entry.queue);
      const before = this.#metadata.attempts(message.topic, message.partition, message.offset);
      entry.attempt = Math.max(entry.attempt, before + 1);
      await this.#recordAttempts(entry);
      if (this.#stopped || !entry.queue.alive) return;
    }
    let decoded: Decoded;
    try {
      decoded = decodeEvent(message.key, message.value, message.headers);
    } catch (err) {
      // Not ours (or corrupt): holding it would block its key forever.
      const params = {
        topic: message.topic,
        partition: message.partition,
        offset: String(message.offset),
        reason: (err as Error).message,
      };
      this.#report(KafkaErrors.KAFKA_MESSAGE_INVALID({ params, cause: err }));
      this.#settled(entry, 'ack', 0);
      return;
    }
    const delivery = new KafkaDelivery(
      this.#deps.eventTopic(message.topic),
      decoded,
      entry.attempt,
      (how, delayMs) => this.#settled(entry, how, delayMs),
    );
    try {
      await this.#handler(delivery);
      if (!delivery.settled) await delivery.ack();
    } catch (err) {
      if (!delivery.settled) {
        await delivery.nack({ delayMs: HANDLER_ERROR_NACK_MS });
        this.#report(KafkaErrors.KAFKA_HANDLER_FAILED({ params: { id: decoded.event.id }, cause: err }));
      } else this.#report(err as Error);
    }
  }

  /** The handler acked or nacked `entry`. */
  #settled(entry: QueueEntry<Record>, how: 'ack' | 'nack', delayMs: number): void {
    if (this.#crashed || !entry.queue.alive) return;
    if (how === 'nack') {
      entry.attempt++;
      if (entry.offset === entry.queue.position()) void this.#recordAttempts(entry);
      if (this.#stopped) return; // redelivered from the committed offset by the next owner
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#ready.unshift(entry);
        this.#dispatch();
      }, delayMs);
      this.#timers.add(timer);
      return;
    }
    const next = entry.queue.done(entry);
    this.#buffered--;
    if (next && !this.#stopped) this.#ready.push(next);
    this.#resumeIfRoom();
    void this.#flushCommits();
  }

  #resumeIfRoom(): void {
    if (!this.#stopped && this.#buffered < this.#deps.options.maxBuffered / 2 && this.#stream?.isPaused()) {
      this.#stream.resume();
    }
  }

  /** Commits every partition whose position moved; one commit request at a time. */
  #flushCommits(): Promise<void> {
    if (this.#committing) {
      this.#commitAgain = true;
      return this.#committing;
    }
    const offsets = [];
    const queues: [PartitionQueue<Record>, bigint][] = [];
    for (const queue of this.#queues.values()) {
      if (!queue.alive) continue;
      const offset = queue.takeCommit();
      if (offset === undefined) continue;
      offsets.push({
        topic: queue.topic,
        partition: queue.partition,
        offset,
        leaderEpoch: queue.leaderEpoch,
      });
      queues.push([queue, offset]);
    }
    if (offsets.length === 0) return Promise.resolve();
    this.#committing = this.#consumer
      .commit({ offsets })
      .catch((cause: unknown) => {
        for (const [queue, offset] of queues) queue.commitFailed(offset);
        if (!this.#crashed)
          this.#report(KafkaErrors.KAFKA_COMMIT_FAILED({ params: { group: this.#group }, cause }));
      })
      .finally(() => {
        this.#committing = undefined;
        if (this.#commitAgain) {
          this.#commitAgain = false;
          void this.#flushCommits();
        }
      });
    return this.#committing;
  }

  /** Commits the entry's own offset (it is the partition's position) with its delivery count. */
  async #recordAttempts(entry: QueueEntry<Record>): Promise<void> {
    if (!this.#metadata.installed) return;
    const { topic, partition, leaderEpoch } = entry.queue;
    this.#metadata.setAttempts(topic, partition, entry.offset, entry.attempt);
    await this.#consumer
      .commit({ offsets: [{ topic, partition, offset: entry.offset, leaderEpoch }] })
      .catch((cause: unknown) => {
        if (!this.#crashed)
          this.#report(KafkaErrors.KAFKA_COMMIT_FAILED({ params: { group: this.#group }, cause }));
      });
  }

  #consumerFailed(cause: Error) {
    return KafkaErrors.KAFKA_CONSUMER_FAILED({
      params: { group: this.#group, reason: cause.message },
      cause,
    });
  }

  #report(error: Error): void {
    try {
      this.#deps.options.onError(error);
    } catch {
      // A throwing onError must not break the member.
    }
  }
}

/** One delivery; the first of `ack`/`nack` wins, later calls are ignored. */
class KafkaDelivery implements Delivery {
  readonly topic: string;
  readonly key: string;
  readonly event: Delivery['event'];
  readonly attempt: number;
  readonly traceContext: Delivery['traceContext'];
  settled = false;
  readonly #onSettle: (how: 'ack' | 'nack', delayMs: number) => void;

  constructor(
    topic: string,
    decoded: Decoded,
    attempt: number,
    onSettle: (how: 'ack' | 'nack', delayMs: number) => void,
  ) {
    this.topic = topic;
    this.key = decoded.key;
    this.event = decoded.event;
    this.traceContext = decoded.traceContext;
    this.attempt = attempt;
    this.#onSettle = onSettle;
  }

  /** Marks the message done; its offset is committed (coalesced) once every earlier one is done too. */
  async ack(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.#onSettle('ack', 0);
  }

  async nack(options: { delayMs?: number } = {}): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.#onSettle('nack', Math.max(0, options.delayMs ?? 0));
  }
}
