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
import type { ChannelModel } from 'amqplib';
import { RabbitMqErrors } from './errors.ts';
import { AmqpSession, withTimeout } from './internal/amqp-session.ts';
import { openGroupSubscription } from './internal/group-subscription.ts';
import { Publisher } from './internal/publisher.ts';
import {
  type RabbitMqBrokerOptions,
  type ResolvedRabbitMqBrokerOptions,
  resolveRabbitMqBrokerOptions,
} from './rabbitmq-broker-options.ts';

/** A {@link Broker} over RabbitMQ. */
export interface RabbitMqBroker extends Broker {
  readonly name: 'rabbitmq';
  /** The live AMQP connection (undefined while reconnecting). Closing it ends the broker, as a crash would. */
  readonly connection: ChannelModel | undefined;
}

/**
 * Creates a Broker over RabbitMQ: a direct exchange per topic, and per consumer group one
 * quorum queue per partition with a single active consumer; publisher confirms; reconnects
 * with topology recovery. Connects now and rejects with `RABBITMQ_CONNECT_FAILED` if it cannot.
 *
 * @example
 * import { createRabbitMqBroker } from '@outrig/messaging-rabbitmq';
 *
 * const broker = await createRabbitMqBroker({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * await broker.subscribe(['product.events'], { group: 'search' }, async (delivery) => {
 *   console.log(delivery.event.type, delivery.key, delivery.attempt);
 *   await delivery.ack();
 * });
 * const [result] = await broker.publish([{ topic: 'product.events', key: 'p-1', event }]);
 * await broker.close();
 */
export async function createRabbitMqBroker(options: RabbitMqBrokerOptions): Promise<RabbitMqBroker> {
  const o = resolveRabbitMqBrokerOptions(options);
  return new AmqpBroker(await AmqpSession.open(o), o);
}

class AmqpBroker implements RabbitMqBroker {
  readonly name = 'rabbitmq' as const;
  readonly capabilities: BrokerCapabilities = {
    persistent: true,
    consumerGroups: true,
    orderedByKey: true,
    brokerDedupe: false,
    headers: true,
    // No non-durable tail read (Broker.tail) yet.
    tail: false,
  };
  readonly #session: AmqpSession;
  readonly #o: ResolvedRabbitMqBrokerOptions;
  readonly #publisher: Publisher;
  readonly #resources = new BrokerResources();
  #closing: Promise<void> | undefined;

  constructor(session: AmqpSession, o: ResolvedRabbitMqBrokerOptions) {
    this.#session = session;
    this.#o = o;
    this.#publisher = new Publisher(session, o);
  }

  get connection(): ChannelModel | undefined {
    return this.#session.connection;
  }

  publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    if (this.#resources.closing) return Promise.reject(RabbitMqErrors.RABBITMQ_BROKER_CLOSED());
    return this.#resources.track(this.#publisher.publish(messages));
  }

  async subscribe(
    topics: readonly string[],
    options: SubscribeOptions,
    handler: DeliveryHandler,
  ): Promise<Subscription> {
    if (this.#resources.closing) throw RabbitMqErrors.RABBITMQ_BROKER_CLOSED();
    const inner = await openGroupSubscription(this.#session, this.#o, topics, options, handler);
    return this.#resources.adopt(inner, () => RabbitMqErrors.RABBITMQ_BROKER_CLOSED());
  }

  async ping(): Promise<void> {
    try {
      const connection = this.#session.connection;
      if (!connection) throw new Error(this.#session.dead ? 'the broker is closed' : 'reconnecting');
      // A round trip: open and close a channel.
      const channel = await withTimeout(connection.createChannel(), this.#o.requestTimeoutMs);
      await withTimeout(channel.close(), this.#o.requestTimeoutMs);
    } catch (cause) {
      throw RabbitMqErrors.RABBITMQ_PING_FAILED({ params: { reason: (cause as Error).message }, cause });
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#resources.drain();
      await this.#publisher.close();
      await this.#session.close();
    })();
    return this.#closing;
  }
}
