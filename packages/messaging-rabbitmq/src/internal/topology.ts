import type { Channel, ChannelModel } from 'amqplib';
import { RabbitMqErrors } from '../errors.ts';
import type { ResolvedRabbitMqBrokerOptions } from '../rabbitmq-broker-options.ts';
import { withTimeout } from './amqp-session.ts';

/**
 * Names and declarations. Per topic a durable direct exchange `<prefix>.<topic>`; per group and
 * partition a durable quorum queue `<prefix>.<topic>.<group>.<p>` with single-active-consumer,
 * bound by routing key `<p>`; per group a quorum queue `<prefix>.<topic>.<group>.dead` that
 * RabbitMQ dead-letters to after `deliveryLimit` counted deliveries. Members of a group announce
 * themselves on the topic exchange `<prefix>.members` (routing key = group).
 */
export const names = {
  exchange: (o: ResolvedRabbitMqBrokerOptions, topic: string) => `${o.prefix}.${topic}`,
  queue: (o: ResolvedRabbitMqBrokerOptions, topic: string, group: string, p: number) =>
    `${o.prefix}.${topic}.${group}.${p}`,
  deadQueue: (o: ResolvedRabbitMqBrokerOptions, topic: string, group: string) =>
    `${o.prefix}.${topic}.${group}.dead`,
  members: (o: ResolvedRabbitMqBrokerOptions) => `${o.prefix}.members`,
};

const TOPIC = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const GROUP = /^[A-Za-z0-9_-]{1,100}$/;

/** Throws `RABBITMQ_TOPIC_INVALID` for a topic that cannot name an exchange. */
export function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic.length > 150 || !TOPIC.test(topic)) {
    throw RabbitMqErrors.RABBITMQ_TOPIC_INVALID({ params: { topic: String(topic) } });
  }
}

/** Throws `RABBITMQ_SUBSCRIBE_INVALID` for a group that cannot name a queue. */
export function assertGroup(group: string): void {
  if (typeof group !== 'string' || !GROUP.test(group)) {
    throw RabbitMqErrors.RABBITMQ_SUBSCRIBE_INVALID({
      params: { reason: 'group is 1–100 letters, digits, _ or -' },
    });
  }
}

/** Declares the topic's exchange on `channel` (idempotent). */
export async function declareExchange(channel: Channel, o: ResolvedRabbitMqBrokerOptions, topic: string) {
  const exchange = names.exchange(o, topic);
  await withTimeout(channel.assertExchange(exchange, 'direct', { durable: true }), o.requestTimeoutMs);
  return exchange;
}

/**
 * Declares everything a group needs for `topic` on a channel of its own (a declaration that
 * conflicts with an existing one closes the channel: reported as `RABBITMQ_TOPOLOGY_CONFLICT`).
 */
export async function declareGroup(
  connection: ChannelModel,
  o: ResolvedRabbitMqBrokerOptions,
  topic: string,
  group: string,
): Promise<void> {
  const channel = await withTimeout(connection.createChannel(), o.requestTimeoutMs);
  channel.on('error', () => {});
  let current = { kind: 'exchange', name: names.exchange(o, topic) };
  try {
    const exchange = await declareExchange(channel, o, topic);
    const dead = names.deadQueue(o, topic, group);
    current = { kind: 'queue', name: dead };
    await withTimeout(
      channel.assertQueue(dead, { durable: true, arguments: { 'x-queue-type': 'quorum' } }),
      o.requestTimeoutMs,
    );
    const args: Record<string, unknown> = { 'x-queue-type': 'quorum', 'x-single-active-consumer': true };
    if (o.deliveryLimit > 0) {
      args['x-delivery-limit'] = o.deliveryLimit;
      args['x-dead-letter-exchange'] = '';
      args['x-dead-letter-routing-key'] = dead;
    }
    for (let p = 0; p < o.partitions; p++) {
      const queue = names.queue(o, topic, group, p);
      current = { kind: 'queue', name: queue };
      await withTimeout(channel.assertQueue(queue, { durable: true, arguments: args }), o.requestTimeoutMs);
      await withTimeout(channel.bindQueue(queue, exchange, String(p)), o.requestTimeoutMs);
    }
  } catch (cause) {
    const code = (cause as { code?: number }).code;
    if (code === 406) {
      throw RabbitMqErrors.RABBITMQ_TOPOLOGY_CONFLICT({
        params: { ...current, reason: (cause as Error).message },
        cause,
      });
    }
    throw cause;
  } finally {
    await withTimeout(channel.close(), o.requestTimeoutMs).catch(() => {});
  }
}
