import { isOutrigError } from '@outrig/core/errors';
import type { OutgoingMessage, PublishResult } from '@outrig/messaging';
import { publishInKeyOrder } from '@outrig/messaging/adapter-kit';
import type { ConfirmChannel } from 'amqplib';
import { RabbitMqErrors } from '../errors.ts';
import { partitionForKey } from '../partition.ts';
import type { ResolvedRabbitMqBrokerOptions } from '../rabbitmq-broker-options.ts';
import type { AmqpSession } from './amqp-session.ts';
import { withTimeout } from './amqp-session.ts';
import { encodeEvent } from './binary-mode.ts';
import { assertTopic, declareExchange, names } from './topology.ts';

/**
 * Publishes with publisher confirms on one confirm channel (re-opened after a reconnect or a
 * channel error). Messages of different keys go out concurrently, messages of one key one after
 * another, each waiting for its confirm: RabbitMQ confirms a persistent message once every
 * quorum queue it was routed to has it on a majority of replicas.
 */
export class Publisher {
  readonly #session: AmqpSession;
  readonly #o: ResolvedRabbitMqBrokerOptions;
  #channel: Promise<ConfirmChannel> | undefined;
  /** Exchanges declared on the current channel. */
  #declared = new Map<string, Promise<string>>();

  constructor(session: AmqpSession, o: ResolvedRabbitMqBrokerOptions) {
    this.#session = session;
    this.#o = o;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    return publishInKeyOrder(
      messages,
      (message) => this.#publishOne(message),
      ({ event, key }) => RabbitMqErrors.RABBITMQ_PUBLISH_SKIPPED({ params: { id: event.id, key } }),
    );
  }

  async close(): Promise<void> {
    const channel = await this.#channel?.catch(() => undefined);
    this.#channel = undefined;
    if (channel) await withTimeout(channel.close(), this.#o.requestTimeoutMs).catch(() => {});
  }

  async #publishOne({ topic, key, event, traceContext }: OutgoingMessage): Promise<PublishResult> {
    let exchange = names.exchange(this.#o, topic);
    try {
      assertTopic(topic);
      const encoded = encodeEvent(event, key, traceContext);
      const channel = await this.#openChannel();
      exchange = await this.#declare(channel, topic);
      const routingKey = String(partitionForKey(key, this.#o.partitions));
      const confirmed = new Promise<void>((resolve, reject) => {
        channel.publish(
          exchange,
          routingKey,
          encoded.body,
          {
            persistent: true,
            headers: encoded.headers,
            messageId: event.id,
            ...(encoded.contentType === undefined ? {} : { contentType: encoded.contentType }),
          },
          (err) => (err ? reject(err) : resolve()),
        );
      });
      await withTimeout(confirmed, this.#o.requestTimeoutMs, 'the publisher confirm');
      return { ok: true };
    } catch (cause) {
      if (isOutrigError(cause)) return { ok: false, error: cause };
      const error = RabbitMqErrors.RABBITMQ_PUBLISH_FAILED({ params: { id: event.id, exchange }, cause });
      return { ok: false, error };
    }
  }

  #openChannel(): Promise<ConfirmChannel> {
    if (!this.#channel) {
      const opening = (async () => {
        const connection = await this.#session.ready();
        const channel = await withTimeout(connection.createConfirmChannel(), this.#o.requestTimeoutMs);
        channel.on('error', () => {});
        channel.on('close', () => {
          if (this.#channel === opening) {
            this.#channel = undefined;
            this.#declared = new Map();
          }
        });
        return channel;
      })();
      this.#channel = opening;
      opening.catch(() => {
        if (this.#channel === opening) this.#channel = undefined;
      });
    }
    return this.#channel;
  }

  #declare(channel: ConfirmChannel, topic: string): Promise<string> {
    let declared = this.#declared.get(topic);
    if (!declared) {
      declared = declareExchange(channel, this.#o, topic);
      declared.catch(() => this.#declared.delete(topic));
      this.#declared.set(topic, declared);
    }
    return declared;
  }
}
