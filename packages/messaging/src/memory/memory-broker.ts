import type {
  Broker,
  BrokerCapabilities,
  OutgoingMessage,
  PublishResult,
  Subscription,
  TailHandler,
} from '../broker.ts';
import type { CloudEvent } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';
import { createMemoryHub, type MemoryHub } from './memory-hub.ts';
import { MemorySubscription } from './memory-subscription.ts';

export interface MemoryBrokerOptions {
  /** Share topics and groups with other memory brokers (one "server"). Default: a private hub. */
  readonly hub?: MemoryHub;
  /** A delivery neither acked nor nacked within this time goes back to its group. Default 30000. */
  readonly ackTimeoutMs?: number;
  /** Redelivery delay when a delivery handler throws without settling. Default 100. */
  readonly redeliveryDelayMs?: number;
}

/** An in-process {@link Broker} for development and tests, plus test helpers. */
export interface MemoryBroker extends Broker {
  readonly hub: MemoryHub;
  /**
   * Simulates a crash of the process owning this broker: its subscriptions vanish without
   * settling anything, their unacked deliveries go back to their groups at once (attempt + 1),
   * and late ack/nack calls from still-running handlers are ignored. The broker is closed.
   */
  crash(): Promise<void>;
}

const CAPABILITIES: BrokerCapabilities = {
  persistent: false,
  consumerGroups: true,
  orderedByKey: true,
  brokerDedupe: false,
  headers: false,
  tail: true,
};

/**
 * The in-memory transport (`BUS_URL=memory:`): topics, consumer groups, per-key order, nack
 * with delay, `maxInFlight`, `startFrom`. Events cross it as JSON, like a real wire.
 *
 * @example
 * const broker = createMemoryBroker();
 * await broker.subscribe(['user.events'], { group: 'mailer' }, async (d) => {
 *   console.log(d.event.type);
 *   await d.ack();
 * });
 * await broker.publish([{ topic: 'user.events', key: 'u1', event }]);
 */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): MemoryBroker {
  const { hub = createMemoryHub(), ackTimeoutMs = 30_000, redeliveryDelayMs = 100 } = options;
  for (const [name, value] of Object.entries({ ackTimeoutMs, redeliveryDelayMs })) {
    if (!Number.isFinite(value) || value < 0) {
      throw MessagingErrors.BUS_OPTIONS_INVALID({ params: { reason: `${name} must be a number ≥ 0` } });
    }
  }
  const subscriptions = new Set<MemorySubscription>();
  const tails = new Set<Subscription>();
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw MessagingErrors.BUS_CLOSED({ params: { broker: 'memory' } });
  };

  return {
    name: 'memory',
    capabilities: CAPABILITIES,
    hub,
    async publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]> {
      ensureOpen();
      const failedKeys = new Set<string>();
      return messages.map((m) => {
        const id = `${m.topic}\u0000${m.key}`;
        if (failedKeys.has(id))
          return { ok: false, error: new Error('an earlier message of this key failed') };
        try {
          const json = serialize(m);
          const traceContext = m.traceContext === undefined ? undefined : { ...m.traceContext };
          hub.append({ topic: m.topic, key: m.key, json, ...(traceContext && { traceContext }) });
          return { ok: true };
        } catch (error) {
          failedKeys.add(id);
          return { ok: false, error: error as Error };
        }
      });
    },
    async subscribe(topics, subscribeOptions, handler) {
      ensureOpen();
      const sub = new MemorySubscription(
        hub,
        topics,
        subscribeOptions,
        handler,
        ackTimeoutMs,
        redeliveryDelayMs,
      );
      subscriptions.add(sub);
      sub.onClose = () => subscriptions.delete(sub);
      return sub;
    },
    async tail(topics: readonly string[], handler: TailHandler): Promise<Subscription> {
      ensureOpen();
      if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || !t)) {
        throw MessagingErrors.BUS_OPTIONS_INVALID({ params: { reason: 'topics must be non-empty strings' } });
      }
      // One message at a time, in append order; a handler that throws does not stop the tail.
      let chain = Promise.resolve();
      const stop = hub.watch(topics, (m) => {
        const message = {
          topic: m.topic,
          key: m.key,
          event: JSON.parse(m.json) as CloudEvent,
          ...(m.traceContext && { traceContext: { ...m.traceContext } }),
        };
        chain = chain.then(() => handler(message)).catch(() => {});
      });
      const subscription: Subscription = {
        async close() {
          stop();
          tails.delete(subscription);
          await chain;
        },
      };
      tails.add(subscription);
      return subscription;
    },
    async ping() {
      ensureOpen();
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions, ...tails].map((s) => s.close()));
    },
    async crash() {
      closed = true;
      for (const s of subscriptions) s.crash();
      subscriptions.clear();
      for (const t of tails) void t.close();
    },
  };
}

function serialize(m: OutgoingMessage): string {
  if (typeof m.topic !== 'string' || m.topic === '') throw new Error('topic must be a non-empty string');
  if (typeof m.key !== 'string') throw new Error('key must be a string');
  if (typeof m.event?.id !== 'string') throw new Error('event.id must be a string');
  return JSON.stringify(m.event);
}
