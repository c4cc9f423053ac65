import { type JetStreamClient, type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type {
  Broker,
  BrokerCapabilities,
  DeliveryHandler,
  OutgoingMessage,
  PublishResult,
  SubscribeOptions,
  Subscription,
  TailHandler,
} from '@outrig/messaging';
import { BrokerResources, Semaphore } from '@outrig/messaging/adapter-kit';
import { NatsErrors } from './errors.ts';
import { openGroupSubscription } from './internal/group-subscription.ts';
import { ensureStream } from './internal/jetstream-setup.ts';
import { publishBatch } from './internal/publisher.ts';
import { openTail } from './internal/tail-consumer.ts';
import { withTimeout } from './internal/with-timeout.ts';
import {
  type NatsBrokerOptions,
  type ResolvedNatsBrokerOptions,
  resolveNatsBrokerOptions,
} from './nats-broker-options.ts';

/** Publishes awaiting their JetStream ack at once, across batches (keeps a huge batch bounded). */
const MAX_PUBLISH_IN_FLIGHT = 256;

/** A {@link Broker} over NATS JetStream. */
export interface NatsBroker extends Broker {
  readonly name: 'nats';
  /** The underlying connection (yours if you passed one), e.g. for KV or request/reply. */
  readonly connection: NatsConnection;
}

/**
 * Creates a Broker over NATS JetStream: one stream per topic, `partitions` subjects per stream,
 * one durable pull consumer per (group, topic, partition). Connects (when given `servers`),
 * checks that JetStream is enabled, and rejects with a coded error otherwise.
 *
 * @example
 * import { createNatsBroker } from '@outrig/messaging-nats';
 *
 * const broker = await createNatsBroker({ servers: 'nats://127.0.0.1:4222' });
 * await broker.subscribe(['product.events'], { group: 'search' }, async (delivery) => {
 *   console.log(delivery.event.type, delivery.key, delivery.attempt);
 *   await delivery.ack();
 * });
 * const [result] = await broker.publish([{ topic: 'product.events', key: 'p-1', event }]);
 * await broker.close();
 */
export async function createNatsBroker(options: NatsBrokerOptions): Promise<NatsBroker> {
  const o = resolveNatsBrokerOptions(options);
  const nc = o.connection ?? (await connectOwned(o));
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc, { timeout: o.requestTimeoutMs });
  } catch (cause) {
    if (!o.connection) await nc.close().catch(() => {});
    throw NatsErrors.NATS_JETSTREAM_UNAVAILABLE({ cause });
  }
  return new JetStreamBroker(nc, jsm, o);
}

class JetStreamBroker implements NatsBroker {
  readonly name = 'nats' as const;
  readonly capabilities: BrokerCapabilities = {
    persistent: true,
    consumerGroups: true,
    orderedByKey: true,
    brokerDedupe: true,
    headers: true,
    tail: true,
  };
  readonly connection: NatsConnection;
  readonly #jsm: JetStreamManager;
  readonly #js: JetStreamClient;
  readonly #o: ResolvedNatsBrokerOptions;
  /** One stream check per topic per broker; dropped on failure so the next call retries. */
  readonly #streams = new Map<string, Promise<string>>();
  readonly #resources = new BrokerResources();
  readonly #publishSlots = new Semaphore(MAX_PUBLISH_IN_FLIGHT);
  #closing: Promise<void> | undefined;

  constructor(nc: NatsConnection, jsm: JetStreamManager, o: ResolvedNatsBrokerOptions) {
    this.connection = nc;
    this.#jsm = jsm;
    this.#js = jsm.jetstream();
    this.#o = o;
  }

  publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    if (this.#resources.closing) return Promise.reject(NatsErrors.NATS_BROKER_CLOSED());
    const publishing = publishBatch(
      {
        js: this.#js,
        partitions: this.#o.partitions,
        subjectPrefix: this.#o.streamPrefix,
        requestTimeoutMs: this.#o.requestTimeoutMs,
        inFlight: this.#publishSlots,
        ensureStream: (topic) => this.#ensureStream(topic),
        forgetStream: (topic) => this.#streams.delete(topic),
      },
      messages,
    );
    return this.#resources.track(publishing);
  }

  async subscribe(
    topics: readonly string[],
    options: SubscribeOptions,
    handler: DeliveryHandler,
  ): Promise<Subscription> {
    if (this.#resources.closing) throw NatsErrors.NATS_BROKER_CLOSED();
    const inner = await openGroupSubscription(
      {
        nc: this.connection,
        js: this.#js,
        jsm: this.#jsm,
        options: this.#o,
        ensureStream: (topic) => this.#ensureStream(topic),
      },
      topics,
      options,
      handler,
    );
    // close() ran while the consumers were being created: no workers are left behind.
    return this.#resources.adopt(inner, () => NatsErrors.NATS_BROKER_CLOSED());
  }

  /** Ordered (ephemeral, unacked) consumers from each stream's end, deleted on close. */
  async tail(topics: readonly string[], handler: TailHandler): Promise<Subscription> {
    if (this.#resources.closing) throw NatsErrors.NATS_BROKER_CLOSED();
    const inner = await openTail({ js: this.#js, jsm: this.#jsm, options: this.#o }, topics, handler);
    return this.#resources.adopt(inner, () => NatsErrors.NATS_BROKER_CLOSED());
  }

  async ping(): Promise<void> {
    try {
      await withTimeout(this.connection.rtt(), this.#o.requestTimeoutMs);
    } catch (cause) {
      throw NatsErrors.NATS_PING_FAILED({ params: { reason: (cause as Error).message }, cause });
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#resources.drain();
      const nc = this.connection;
      if (nc.isClosed()) return;
      // drain() flushes what is buffered (acks included) before closing; a connection the
      // user gave us stays open, we only flush our writes. Both wait for the server, so they
      // are bounded: closing while the server is unreachable must not hang.
      const timeoutMs = this.#o.requestTimeoutMs;
      if (this.#o.connection) await withTimeout(nc.flush(), timeoutMs).catch(() => {});
      else await withTimeout(nc.drain(), timeoutMs).catch(() => nc.close());
    })();
    return this.#closing;
  }

  #ensureStream(topic: string): Promise<string> {
    let ready = this.#streams.get(topic);
    if (!ready) {
      ready = ensureStream(this.#jsm, topic, this.#o);
      ready.catch(() => this.#streams.delete(topic));
      this.#streams.set(topic, ready);
    }
    return ready;
  }
}

async function connectOwned(o: ResolvedNatsBrokerOptions): Promise<NatsConnection> {
  const servers = [...(o.servers ?? [])];
  const auth: { user?: string; pass?: string } = {};
  // Accept credentials in the URL (`nats://user:pass@host:4222`), as BUS_URL often carries them.
  for (const server of servers) {
    const url = new URL(server);
    if (url.username && auth.user === undefined) {
      auth.user = decodeURIComponent(url.username);
      auth.pass = decodeURIComponent(url.password);
    }
  }
  try {
    return await connect({
      name: 'outrig',
      // Keep reconnecting for as long as the process lives: pull loops resume on reconnect.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      // nats.js otherwise builds an Error (a stack trace) up front for every request, i.e. every
      // JetStream publish and ack, in case it times out: 6–12 % of the relay's and consumer's CPU
      // (bench:outbox profile). Failures still carry the error and are wrapped with our codes.
      noAsyncTraces: true,
      ...auth,
      ...(servers.some((s) => s.startsWith('tls:')) ? { tls: {} } : {}),
      ...o.connectOptions,
      servers: servers.map((s) => new URL(s).host),
    });
  } catch (cause) {
    throw NatsErrors.NATS_CONNECT_FAILED({ params: { servers: servers.join(',') }, cause });
  }
}
