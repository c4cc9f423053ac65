import type {
  Broker,
  BrokerCapabilities,
  DeliveryHandler,
  OutgoingMessage,
  PublishResult,
  SubscribeOptions,
  Subscription,
} from '@outrig/messaging';
import { BrokerResources, checkSubscribe } from '@outrig/messaging/adapter-kit';
import { Admin, compatibilityPartitioner, ProduceAcks, Producer } from '@platformatic/kafka';
import { KafkaErrors } from './errors.ts';
import { encodeEvent } from './internal/binary-mode.ts';
import { GroupMember } from './internal/group-member.ts';
import {
  type KafkaBrokerOptions,
  type ResolvedKafkaBrokerOptions,
  resolveKafkaBrokerOptions,
} from './kafka-broker-options.ts';

const DEFAULT_MAX_IN_FLIGHT = 64;
/** Kafka's legal topic characters and length. */
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const GROUP = /^[A-Za-z0-9._-]{1,200}$/;

/** A {@link Broker} over Kafka. */
export interface KafkaBroker extends Broker {
  readonly name: 'kafka';
  /**
   * For tests: drops every subscription of this instance at once, without settling, committing
   * or waiting for handlers (what a crashed process leaves behind), then closes.
   */
  destroyForTests(): Promise<void>;
}

/**
 * Creates a Broker over Kafka (client: @platformatic/kafka, pure JavaScript): a Kafka topic per
 * event topic, the partition chosen by the event's key (murmur2, as Kafka's Java client does),
 * one Kafka consumer group per subscription group, offsets committed only for acked messages,
 * an idempotent producer and CloudEvents in binary mode. Checks that a broker answers and
 * rejects with a coded error otherwise.
 *
 * @example
 * import { createKafkaBroker } from '@outrig/messaging-kafka';
 *
 * const broker = await createKafkaBroker({ brokers: 'kafka://127.0.0.1:9092' });
 * await broker.subscribe(['product.events'], { group: 'search' }, async (delivery) => {
 *   console.log(delivery.event.type, delivery.key, delivery.attempt);
 *   await delivery.ack();
 * });
 * const [result] = await broker.publish([{ topic: 'product.events', key: 'p-1', event }]);
 * await broker.close();
 */
export async function createKafkaBroker(options: KafkaBrokerOptions): Promise<KafkaBroker> {
  const o = resolveKafkaBrokerOptions(options);
  const broker = new PlatformaticKafkaBroker(o);
  try {
    await broker.ping();
  } catch (cause) {
    await broker.close().catch(() => {});
    throw KafkaErrors.KAFKA_CONNECT_FAILED({ params: { brokers: o.brokers.join(',') }, cause });
  }
  return broker;
}

class PlatformaticKafkaBroker implements KafkaBroker {
  readonly name = 'kafka' as const;
  readonly capabilities: BrokerCapabilities = {
    persistent: true,
    consumerGroups: true,
    orderedByKey: true,
    brokerDedupe: false,
    headers: true,
    // A non-durable read (Broker.tail) is not implemented yet: the conformance suite skips its checks.
    tail: false,
  };
  readonly #o: ResolvedKafkaBrokerOptions;
  readonly #producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  readonly #admin: Admin;
  readonly #members = new Set<GroupMember>();
  readonly #resources = new BrokerResources();
  #closing: Promise<void> | undefined;

  constructor(o: ResolvedKafkaBrokerOptions) {
    this.#o = o;
    const base = {
      clientId: o.clientId,
      bootstrapBrokers: [...o.brokers],
      timeout: o.requestTimeoutMs,
      retries: 3,
      retryDelay: 250,
    };
    this.#producer = new Producer({
      ...base,
      idempotent: o.idempotent,
      acks: ProduceAcks.ALL,
      autocreateTopics: o.autocreateTopics,
      partitioner: compatibilityPartitioner,
    });
    this.#admin = new Admin(base);
    for (const client of [this.#producer, this.#admin]) {
      client.on('error', (err: Error) => this.#report(err));
    }
  }

  publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    if (this.#closing) return Promise.reject(KafkaErrors.KAFKA_BROKER_CLOSED());
    return this.#resources.track(this.#publish(messages));
  }

  /**
   * One produce request for the batch (acks=all, idempotent): Kafka keeps a partition's order
   * within it, and the idempotent producer's sequence numbers keep it across its own retries.
   * Messages that cannot be encoded fail alone, and so do the later messages of their key.
   */
  async #publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    const results: PublishResult[] = new Array(messages.length);
    const failedKeys = new Set<string>();
    const batch: { index: number; record: Parameters<Producer['send']>[0]['messages'][number] }[] = [];
    messages.forEach(({ topic, key, event, traceContext }, index) => {
      if (failedKeys.has(key)) {
        results[index] = {
          ok: false,
          error: KafkaErrors.KAFKA_PUBLISH_SKIPPED({ params: { id: event.id, key } }),
        };
        return;
      }
      try {
        if (!TOPIC.test(this.#kafkaTopic(topic)))
          throw KafkaErrors.KAFKA_TOPIC_INVALID({ params: { topic } });
        const encoded = encodeEvent(event, key, traceContext);
        batch.push({ index, record: { topic: this.#kafkaTopic(topic), ...encoded } });
      } catch (error) {
        failedKeys.add(key);
        results[index] = { ok: false, error: error as Error };
      }
    });
    if (batch.length > 0) {
      try {
        await this.#producer.send({ messages: batch.map((b) => b.record) });
        for (const { index } of batch) results[index] = { ok: true };
      } catch (cause) {
        for (const { index } of batch) {
          const { topic, event } = messages[index] as OutgoingMessage;
          results[index] = {
            ok: false,
            error: KafkaErrors.KAFKA_PUBLISH_FAILED({ params: { id: event.id, topic }, cause }),
          };
        }
      }
    }
    return results;
  }

  async subscribe(
    topics: readonly string[],
    options: SubscribeOptions,
    handler: DeliveryHandler,
  ): Promise<Subscription> {
    if (this.#closing) throw KafkaErrors.KAFKA_BROKER_CLOSED();
    const { group, maxInFlight, startFrom } = checkSubscribe(topics, options, {
      defaultMaxInFlight: DEFAULT_MAX_IN_FLIGHT,
      assertTopic: (topic) => {
        if (typeof topic !== 'string' || !TOPIC.test(this.#kafkaTopic(topic))) {
          throw KafkaErrors.KAFKA_TOPIC_INVALID({ params: { topic: String(topic) } });
        }
      },
      assertGroup: (group) => {
        if (typeof group !== 'string' || !GROUP.test(group)) {
          throw invalid(`group "${String(group)}" must be 1–200 letters, digits, ., _ or -`);
        }
      },
      invalid,
    });
    const member = await GroupMember.open(
      {
        options: this.#o,
        kafkaTopic: (t) => this.#kafkaTopic(t),
        eventTopic: (t) => t.slice(this.#o.topicPrefix.length),
      },
      topics,
      { group, maxInFlight, startFrom },
      maxInFlight,
      handler,
    );
    if (this.#closing) {
      await member.close();
      throw KafkaErrors.KAFKA_BROKER_CLOSED();
    }
    this.#members.add(member);
    return {
      close: async () => {
        this.#members.delete(member);
        await member.close();
      },
    };
  }

  async ping(): Promise<void> {
    try {
      await this.#admin.metadata({ topics: [] });
    } catch (cause) {
      throw KafkaErrors.KAFKA_PING_FAILED({ params: { reason: (cause as Error).message }, cause });
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#members].map((m) => m.close()));
      await this.#resources.drain();
      await Promise.allSettled([this.#producer.close(), this.#admin.close()]);
    })();
    return this.#closing;
  }

  async destroyForTests(): Promise<void> {
    await Promise.allSettled([...this.#members].map((m) => m.crash()));
    this.#members.clear();
    await this.close();
  }

  #kafkaTopic(topic: string): string {
    return `${this.#o.topicPrefix}${topic}`;
  }

  #report(error: Error): void {
    try {
      this.#o.onError(error);
    } catch {
      // ignored on purpose
    }
  }
}

function invalid(reason: string) {
  return KafkaErrors.KAFKA_SUBSCRIBE_INVALID({ params: { reason } });
}
