import type {
  Broker,
  BrokerCapabilities,
  DeliveryHandler,
  OutgoingMessage,
  PublishResult,
  SubscribeOptions,
  Subscription,
} from '@outrig/messaging';
import { BrokerResources } from '@outrig/messaging/adapter-kit';
import { Redis } from 'ioredis';
import { RedisBusErrors } from './errors.ts';
import { openGroupMember } from './internal/group-member.ts';
import { publishBatch } from './internal/publisher.ts';
import {
  type RedisBrokerOptions,
  type ResolvedRedisBrokerOptions,
  resolveRedisBrokerOptions,
} from './redis-broker-options.ts';

/** A {@link Broker} over Redis Streams. */
export interface RedisBroker extends Broker {
  readonly name: 'redis';
  /** The broker's client (yours if you passed one). Disconnecting it ends the broker, as a crash would. */
  readonly client: Redis;
}

/**
 * Creates a Broker over Redis Streams: a stream per topic partition, a consumer group per
 * group, partitions leased to one member at a time, pending entries of dead members reclaimed
 * with `XAUTOCLAIM`, streams trimmed by age. Connects (when given `url`) and pings; rejects
 * with `REDIS_BUS_CONNECT_FAILED` if Redis does not answer.
 *
 * @example
 * import { createRedisBroker } from '@outrig/messaging-redis';
 *
 * const broker = await createRedisBroker({ url: 'redis://127.0.0.1:6379' });
 * await broker.subscribe(['product.events'], { group: 'search' }, async (delivery) => {
 *   console.log(delivery.event.type, delivery.key, delivery.attempt);
 *   await delivery.ack();
 * });
 * const [result] = await broker.publish([{ topic: 'product.events', key: 'p-1', event }]);
 * await broker.close();
 */
export async function createRedisBroker(options: RedisBrokerOptions): Promise<RedisBroker> {
  const o = resolveRedisBrokerOptions(options);
  const client = o.client ?? connectOwned(o);
  try {
    await withTimeout(client.ping(), o.requestTimeoutMs);
  } catch (cause) {
    if (!o.client) client.disconnect();
    throw RedisBusErrors.REDIS_BUS_CONNECT_FAILED({
      params: { url: redact(o.url ?? 'the given client') },
      cause,
    });
  }
  return new StreamsBroker(client, o);
}

class StreamsBroker implements RedisBroker {
  readonly name = 'redis' as const;
  readonly capabilities: BrokerCapabilities = {
    persistent: true,
    consumerGroups: true,
    orderedByKey: true,
    brokerDedupe: false,
    headers: true,
    // No non-durable tail read (Broker.tail) yet.
    tail: false,
  };
  readonly client: Redis;
  readonly #o: ResolvedRedisBrokerOptions;
  readonly #resources = new BrokerResources();
  readonly #readers = new Set<Redis>();
  readonly #dead: Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(client: Redis, o: ResolvedRedisBrokerOptions) {
    this.client = client;
    this.#o = o;
    this.#dead = new Promise((resolve) => client.once('end', () => resolve()));
    // The client ended for good (closed, or disconnected from outside as a crash): drop every
    // blocking reader with it, acking nothing.
    void this.#dead.then(() => {
      for (const reader of this.#readers) reader.disconnect();
    });
  }

  publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    if (this.#resources.closing) return Promise.reject(RedisBusErrors.REDIS_BUS_CLOSED());
    return this.#resources.track(publishBatch(this.client, this.#o, messages));
  }

  async subscribe(
    topics: readonly string[],
    options: SubscribeOptions,
    handler: DeliveryHandler,
  ): Promise<Subscription> {
    if (this.#resources.closing) throw RedisBusErrors.REDIS_BUS_CLOSED();
    const inner = await openGroupMember(
      { client: this.client, o: this.#o, connect: () => this.#reader(), dead: this.#dead },
      topics,
      options,
      handler,
    );
    return this.#resources.adopt(inner, () => RedisBusErrors.REDIS_BUS_CLOSED());
  }

  async ping(): Promise<void> {
    try {
      await withTimeout(this.client.ping(), this.#o.requestTimeoutMs);
    } catch (cause) {
      throw RedisBusErrors.REDIS_BUS_PING_FAILED({ params: { reason: (cause as Error).message }, cause });
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#resources.drain();
      for (const reader of this.#readers) reader.disconnect();
      if (!this.#o.client) {
        await withTimeout(this.client.quit(), this.#o.requestTimeoutMs).catch(() => this.client.disconnect());
      }
    })();
    return this.#closing;
  }

  /** A connection for one partition's blocking reads (no command timeout shorter than the block). */
  #reader(): Redis {
    const reader = this.client.duplicate({
      commandTimeout: this.#o.blockMs + this.#o.requestTimeoutMs,
      maxRetriesPerRequest: 1,
    });
    reader.on('error', () => {});
    this.#readers.add(reader);
    reader.once('end', () => this.#readers.delete(reader));
    return reader;
  }
}

function connectOwned(o: ResolvedRedisBrokerOptions): Redis {
  const client = new Redis(o.url as string, {
    commandTimeout: o.requestTimeoutMs,
    maxRetriesPerRequest: 2,
    // Keep reconnecting for as long as the process lives; members resume on reconnect.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    connectionName: 'outrig',
    ...o.redisOptions,
  });
  // Errors surface on the commands; without a listener ioredis logs each reconnect failure.
  client.on('error', () => {});
  return client;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** URLs carry passwords: never put them in an error message. */
function redact(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, '//***@');
}
