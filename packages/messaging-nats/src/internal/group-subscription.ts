import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DeliveryHandler, SubscribeOptions, Subscription } from '@outrig/messaging';
import { checkSubscribe, Semaphore } from '@outrig/messaging/adapter-kit';
import { NatsErrors } from '../errors.ts';
import type { ResolvedNatsBrokerOptions } from '../nats-broker-options.ts';
import { assertGroup, assertTopic, ensureConsumer } from './jetstream-setup.ts';
import { PartitionWorker } from './partition-worker.ts';

const DEFAULT_MAX_IN_FLIGHT = 64;

export interface GroupSubscriptionDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly options: ResolvedNatsBrokerOptions;
  ensureStream(topic: string): Promise<string>;
}

/**
 * One member of a consumer group: a {@link PartitionWorker} per (topic, partition), all sharing
 * the member's `maxInFlight`. Every member pulls from every partition consumer; JetStream hands
 * each partition's next message to one waiting member at a time.
 */
export async function openGroupSubscription(
  deps: GroupSubscriptionDeps,
  topics: readonly string[],
  options: SubscribeOptions,
  handler: DeliveryHandler,
): Promise<Subscription> {
  const {
    topics: unique,
    group,
    maxInFlight,
    startFrom,
  } = checkSubscribe(topics, options, {
    defaultMaxInFlight: DEFAULT_MAX_IN_FLIGHT,
    assertTopic,
    assertGroup,
    invalid,
  });

  const { nc, js, jsm, options: o } = deps;
  const slots = new Semaphore(maxInFlight);
  // A throwing onError must not kill a pull loop.
  const onError = (error: Error) => {
    try {
      o.onError(error);
    } catch {
      // ignored on purpose
    }
  };
  const partitions = Array.from({ length: o.partitions }, (_, p) => p);
  // Create every durable before resolving: once subscribe() returns, the group exists and
  // nothing published afterwards can be missed (this matters for startFrom 'latest').
  const setups = await Promise.all(
    unique.map(async (topic) => {
      const stream = await deps.ensureStream(topic);
      return Promise.all(
        partitions.map(async (p) => {
          const ensure = () => ensureConsumer(jsm, stream, topic, p, group, startFrom, o);
          return { topic, ensure, first: await ensure() };
        }),
      );
    }),
  );
  const workers = setups.flat().map(
    ({ topic, ensure, first }) =>
      new PartitionWorker(
        {
          nc,
          js,
          topic,
          handler,
          slots,
          ackWaitMs: o.ackWaitMs,
          requestTimeoutMs: o.requestTimeoutMs,
          onError,
          ensureConsumer: ensure,
        },
        first,
      ),
  );
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        const stopped = Promise.all(workers.map((w) => w.stop()));
        // After a crash-like close of the connection nothing can be acked any more: do not wait
        // for handlers that may never return; JetStream redelivers their messages.
        await Promise.race([stopped, nc.closed()]);
      })();
      return closing;
    },
  };
}

function invalid(reason: string) {
  return NatsErrors.NATS_SUBSCRIBE_INVALID({ params: { reason } });
}
