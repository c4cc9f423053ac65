import { randomBytes } from 'node:crypto';
import type { Channel, ChannelModel } from 'amqplib';
import { fnv1a32 } from '../partition.ts';
import type { ResolvedRabbitMqBrokerOptions } from '../rabbitmq-broker-options.ts';
import { withTimeout } from './amqp-session.ts';
import { names } from './topology.ts';

interface Heartbeat {
  readonly member: string;
  readonly topics: readonly string[];
  readonly leaving?: boolean;
  /** Set when the sender has just joined: everyone answers at once so it learns the group fast. */
  readonly hello?: boolean;
}

/**
 * Who else is in the group, learnt from heartbeats on the `<prefix>.members` exchange (routing
 * key = group; each member has an exclusive, auto-deleted queue bound to it). It only balances
 * the partitions between members: the single-active-consumer queues keep a partition with one
 * member at a time whatever the members believe.
 */
export class Membership {
  readonly id = randomBytes(8).toString('hex');
  readonly #o: ResolvedRabbitMqBrokerOptions;
  readonly #group: string;
  readonly #topics: readonly string[];
  readonly #onChange: () => void;
  readonly #seen = new Map<string, { topics: readonly string[]; at: number }>();
  #channel: Channel | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    o: ResolvedRabbitMqBrokerOptions,
    group: string,
    topics: readonly string[],
    onChange: () => void,
  ) {
    this.#o = o;
    this.#group = group;
    this.#topics = topics;
    this.#onChange = onChange;
  }

  /** Joins on `connection` (again after a reconnect) and waits briefly for the others to answer. */
  async join(connection: ChannelModel): Promise<void> {
    const o = this.#o;
    const channel = await withTimeout(connection.createChannel(), o.requestTimeoutMs);
    channel.on('error', () => {});
    const exchange = names.members(o);
    await withTimeout(channel.assertExchange(exchange, 'direct', { durable: false }), o.requestTimeoutMs);
    const { queue } = await withTimeout(
      channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false }),
      o.requestTimeoutMs,
    );
    await withTimeout(channel.bindQueue(queue, exchange, this.#group), o.requestTimeoutMs);
    await withTimeout(
      channel.consume(queue, (msg) => msg && this.#receive(msg.content), { noAck: true }),
      o.requestTimeoutMs,
    );
    const previous = this.#channel;
    this.#channel = channel;
    if (previous) void withTimeout(previous.close(), o.requestTimeoutMs).catch(() => {});
    this.#send({ member: this.id, topics: this.#topics, hello: true });
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#tick(), o.heartbeatMs);
    this.#timer.unref();
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, o.heartbeatMs)));
  }

  /**
   * The member that should own `partition` of `topic`: the live members of the topic in id
   * order take its partitions round robin (from an offset hashed from the topic, so members of
   * several topics get an even share of each).
   */
  owner(topic: string, partition: number): string {
    const members = [this.id];
    for (const [member, { topics }] of this.#seen) if (topics.includes(topic)) members.push(member);
    members.sort();
    return members[(fnv1a32(topic) + partition) % members.length] ?? this.id;
  }

  /** Says goodbye (so the others take over at once) and stops. */
  async leave(): Promise<void> {
    clearInterval(this.#timer);
    this.#send({ member: this.id, topics: this.#topics, leaving: true });
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel) await withTimeout(channel.close(), this.#o.requestTimeoutMs).catch(() => {});
  }

  #tick(): void {
    const cutoff = Date.now() - this.#o.sessionTimeoutMs;
    let changed = false;
    for (const [member, { at }] of this.#seen) {
      if (at < cutoff) {
        this.#seen.delete(member);
        changed = true;
      }
    }
    this.#send({ member: this.id, topics: this.#topics });
    if (changed) this.#onChange();
  }

  #receive(content: Buffer): void {
    let beat: Heartbeat;
    try {
      beat = JSON.parse(content.toString()) as Heartbeat;
    } catch {
      return;
    }
    if (typeof beat.member !== 'string' || beat.member === this.id || !Array.isArray(beat.topics)) return;
    const known = this.#seen.has(beat.member);
    if (beat.leaving) {
      if (this.#seen.delete(beat.member)) this.#onChange();
      return;
    }
    this.#seen.set(beat.member, { topics: beat.topics, at: Date.now() });
    if (beat.hello) this.#send({ member: this.id, topics: this.#topics });
    if (!known) this.#onChange();
  }

  #send(beat: Heartbeat): void {
    try {
      this.#channel?.publish(names.members(this.#o), this.#group, Buffer.from(JSON.stringify(beat)));
    } catch {
      // The connection is gone; the next join announces us again.
    }
  }
}
