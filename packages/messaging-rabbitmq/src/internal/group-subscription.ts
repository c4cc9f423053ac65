import type { DeliveryHandler, SubscribeOptions, Subscription } from '@outrig/messaging';
import { checkSubscribe, Semaphore } from '@outrig/messaging/adapter-kit';
import { RabbitMqErrors } from '../errors.ts';
import type { ResolvedRabbitMqBrokerOptions } from '../rabbitmq-broker-options.ts';
import { type AmqpSession, sleep } from './amqp-session.ts';
import { Membership } from './membership.ts';
import { PartitionConsumer } from './partition-consumer.ts';
import { assertGroup, assertTopic, declareGroup, names } from './topology.ts';

const DEFAULT_MAX_IN_FLIGHT = 64;

/**
 * One member of a consumer group: declares the group's queues (so nothing published after
 * `subscribe` resolves is missed), joins the group's membership, and consumes the partitions
 * this member owns. On a reconnect it re-declares, re-joins and re-opens (topology recovery).
 */
export async function openGroupSubscription(
  session: AmqpSession,
  o: ResolvedRabbitMqBrokerOptions,
  topics: readonly string[],
  options: SubscribeOptions,
  handler: DeliveryHandler,
): Promise<Subscription> {
  const {
    topics: unique,
    group,
    maxInFlight,
  } = checkSubscribe(topics, options, {
    defaultMaxInFlight: DEFAULT_MAX_IN_FLIGHT,
    assertTopic,
    assertGroup,
    invalid,
  });

  const onError = (error: Error) => {
    try {
      o.onError(error);
    } catch {
      // a throwing onError must not stop a consumer
    }
  };
  const declareAll = async () => {
    const connection = await session.ready();
    for (const topic of unique) await declareGroup(connection, o, topic, group);
    return connection;
  };
  const connection = await declareAll();

  const slots = new Semaphore(maxInFlight);
  const consumers = unique.flatMap((topic) =>
    Array.from({ length: o.partitions }, (_, p) => ({
      topic,
      p,
      consumer: new PartitionConsumer({
        session,
        topic,
        queue: names.queue(o, topic, group, p),
        handler,
        slots,
        requestTimeoutMs: o.requestTimeoutMs,
        onError,
      }),
    })),
  );
  let closed = false;
  const rebalance = () =>
    Promise.all(
      consumers.map(({ topic, p, consumer }) =>
        consumer.want(!closed && membership.owner(topic, p) === membership.id),
      ),
    );
  const membership: Membership = new Membership(o, group, unique, () => void rebalance());
  await membership.join(connection);
  await rebalance();

  const recover = async () => {
    while (!closed && !session.dead) {
      try {
        const fresh = await declareAll();
        await membership.join(fresh);
        await Promise.all(consumers.map(({ consumer }) => consumer.reset()));
        await rebalance();
        return;
      } catch (error) {
        onError(error as Error);
        await sleep(1000);
      }
    }
  };
  const stopListening = session.onReconnect(() => void recover());

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        closed = true;
        stopListening();
        const stopped = (async () => {
          // Leave first: the others open their consumers now and take over as our channels close.
          await membership.leave();
          await Promise.all(consumers.map(({ consumer }) => consumer.stop()));
        })();
        // After the connection is gone nothing can be acked: do not wait for handlers that may
        // never return (a crashed member); RabbitMQ has returned their messages already.
        await Promise.race([stopped, session.whenDead()]);
      })();
      return closing;
    },
  };
}

function invalid(reason: string) {
  return RabbitMqErrors.RABBITMQ_SUBSCRIBE_INVALID({ params: { reason } });
}
