import type { CloudEvent } from './cloud-event.ts';
import type { TraceCarrier } from './tracing/trace-carrier.ts';

/**
 * What a transport can promise. The shared conformance suite (`@outrig/testing`) runs the
 * checks that match the flags an adapter declares, against its real server.
 */
export interface BrokerCapabilities {
  /** Messages survive a broker restart and a consumer crash (redelivered until acked). */
  readonly persistent: boolean;
  /** Members of one group share the work: each message goes to one member of each group. */
  readonly consumerGroups: boolean;
  /**
   * Within a group, messages with the same key reach the handler one at a time and in publish
   * order — also across several member processes, and also after a member crashes (its unacked
   * message is redelivered before any later message of that key).
   */
  readonly orderedByKey: boolean;
  /** The broker drops a re-publish of the same event id within a window (JetStream Nats-Msg-Id). */
  readonly brokerDedupe: boolean;
  /** Events travel in CloudEvents binary mode: attributes as headers, data as the body. */
  readonly headers: boolean;
  /**
   * {@link Broker.tail} is implemented: a non-durable read that leaves no consumer group,
   * consumer or offset behind. Absent means false (adapters written before it are unaffected).
   */
  readonly tail?: boolean;
}

/** One message to publish. */
export interface OutgoingMessage {
  /** e.g. `product.events` */
  readonly topic: string;
  /** Partition/ordering key: the aggregate id. */
  readonly key: string;
  readonly event: CloudEvent;
  /**
   * W3C context of this hop (the relay's `relay.publish` span), carried beside the event as
   * transport headers `traceparent`/`tracestate`/`baggage` where the transport has a place for
   * them, and handed back as {@link Delivery.traceContext}. The event's own `traceparent`
   * extension is not touched: it stays the producer's context.
   */
  readonly traceContext?: TraceCarrier;
}

/** The outcome of one message of a {@link Broker.publish} batch, in the batch's order. */
export type PublishResult = { readonly ok: true } | { readonly ok: false; readonly error: Error };

/** One delivered message. Exactly one of `ack`/`nack` is called per delivery. */
export interface Delivery {
  readonly topic: string;
  readonly key: string;
  readonly event: CloudEvent;
  /** 1 on first delivery; counted by the broker where it can, so a crash loop is visible. */
  readonly attempt: number;
  /** The publisher's {@link OutgoingMessage.traceContext}, when the transport carried it. */
  readonly traceContext?: TraceCarrier;
  /** Done: never deliver this message to this group again. */
  ack(): Promise<void>;
  /** Not done: deliver it again (to any member) after `delayMs`; later messages of its key wait. */
  nack(options?: { delayMs?: number }): Promise<void>;
  /**
   * Still working on it: restarts the broker's ack-wait/lease clock so a long handler (or the
   * consumer's in-process retries with backoff) is not redelivered to another member meanwhile.
   * Optional: brokers without an ack deadline omit it. (JetStream: `msg.working()`.)
   */
  inProgress?(): Promise<void>;
}

export interface SubscribeOptions {
  /** Consumer group: durable name; members with the same group share the work. */
  readonly group: string;
  /** Deliveries this member may have in flight at once (different keys). Default 64. */
  readonly maxInFlight?: number;
  /** Where a new group starts: all retained messages (`earliest`, default) or only new ones. */
  readonly startFrom?: 'earliest' | 'latest';
}

/** A live subscription. */
export interface Subscription {
  /** Stops fetching, waits for in-flight handlers to settle, releases what it holds. */
  close(): Promise<void>;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

/** One message seen by a {@link Broker.tail}: nothing to acknowledge, nobody else affected. */
export interface TailMessage {
  readonly topic: string;
  readonly key: string;
  readonly event: CloudEvent;
  /** The publisher's {@link OutgoingMessage.traceContext}, when the transport carried it. */
  readonly traceContext?: TraceCarrier;
}

/** Called once per tailed message, one at a time, in publish order per key. */
export type TailHandler = (message: TailMessage) => void | Promise<void>;

/**
 * The Broker port: a transport for CloudEvents.
 *
 * - Delivery is at least once; the inbox makes handlers' effects happen once.
 * - `publish(batch)` resolves when every message has a result; a message reported `ok` has been
 *   durably accepted as far as the broker allows (`persistent`). If a message fails, later
 *   messages with the same key in the same batch are not sent and fail too, so a key's order is
 *   never broken by a partial batch. Messages with different keys may go out concurrently.
 * - Handlers for one subscription may run concurrently for different keys, never for one key
 *   when `orderedByKey`.
 * - `close()` closes subscriptions (letting in-flight handlers settle), flushes pending
 *   publishes, then closes connections the broker owns. A client passed in by the user is
 *   not closed.
 */
export interface Broker {
  /** `memory`, `postgres`, `nats`, … */
  readonly name: string;
  readonly capabilities: BrokerCapabilities;
  publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]>;
  subscribe(
    topics: readonly string[],
    options: SubscribeOptions,
    handler: DeliveryHandler,
  ): Promise<Subscription>;
  /**
   * A non-durable read, for watching (`outrig events tail`): hands `handler` every message
   * published to `topics` after the returned promise resolves, until the subscription is closed.
   * It joins no consumer group, takes no message away from any group, acknowledges nothing, and
   * on `close()` leaves nothing behind on the server (no group, consumer, offset or topic; a topic
   * that does not exist yet is waited for, not created). At most once: a message published while
   * the connection is down may be missed. Present when `capabilities.tail` is true.
   */
  tail?(topics: readonly string[], handler: TailHandler): Promise<Subscription>;
  /** Rejects when the broker is unreachable; used by `/ready`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
