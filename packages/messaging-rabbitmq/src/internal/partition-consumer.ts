import type { Delivery, DeliveryHandler } from '@outrig/messaging';
import type { Semaphore } from '@outrig/messaging/adapter-kit';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { RabbitMqErrors } from '../errors.ts';
import type { AmqpSession } from './amqp-session.ts';
import { withTimeout } from './amqp-session.ts';
import { decodeEvent } from './binary-mode.ts';

/** Delay of the retry when a handler throws instead of settling its delivery. */
const HANDLER_ERROR_NACK_MS = 1000;
/** Pause before re-opening a consumer whose channel the server closed (queue deleted, …). */
const RESTART_DELAY_MS = 1000;

export interface PartitionConsumerDeps {
  readonly session: AmqpSession;
  readonly topic: string;
  readonly queue: string;
  readonly handler: DeliveryHandler;
  /** This member's `maxInFlight`, shared by all partitions of the subscription. */
  readonly slots: Semaphore;
  readonly requestTimeoutMs: number;
  readonly onError: (error: Error) => void;
}

/**
 * This member's consumer on one partition queue, on a channel of its own with prefetch 1: the
 * queue hands out its next message only after the previous one is acked, and as the queue has
 * a single active consumer, a partition is handled strictly one message at a time by one
 * member. Closing the channel (handover, crash) returns an unacked message to the head of the
 * queue with its delivery count raised, so the next consumer gets it first.
 *
 * A nack does not requeue (a quorum queue on RabbitMQ 3.10 puts a requeued message behind
 * later ones): the message stays unacked here and is handed to the handler again after the
 * delay, so later messages of the partition wait.
 */
export class PartitionConsumer {
  readonly #deps: PartitionConsumerDeps;
  #wanted = false;
  #channel: Channel | undefined;
  /** The connection `#channel` was opened on. */
  #channelConnection: ChannelModel | undefined;
  /** Raised by `reset()`: an open that started before it discards its channel. */
  #epoch = 0;
  #busy: Promise<void> = Promise.resolve();
  #sync: Promise<void> = Promise.resolve();
  #stopping: AbortController = new AbortController();

  constructor(deps: PartitionConsumerDeps) {
    this.#deps = deps;
  }

  /** Owns the partition from now on: opens the consumer (now, or once connected). */
  want(wanted: boolean): Promise<void> {
    this.#wanted = wanted;
    this.#sync = this.#sync
      .then(() => this.#reconcile())
      .catch((error) => {
        this.#deps.onError(error as Error);
        // Opening failed (the server is still recovering its queues, …): try again shortly.
        setTimeout(() => {
          if (this.#wanted && !this.#channel && !this.#deps.session.dead) void this.want(true);
        }, RESTART_DELAY_MS).unref();
      });
    return this.#sync;
  }

  /**
   * The connection was replaced: the old channel is gone, and with it every unacked message
   * (RabbitMQ requeued them). Re-open at once if still wanted — without waiting for a handler
   * still running on the old channel: it can no longer ack, and the Outrig consumer may keep
   * retrying it for a long time. (Its key's redelivery waits behind it in the consumer's
   * per-key lock, so the key stays in order in this process.)
   *
   * A channel already opened on the new connection is kept: a rebalance (another member
   * answering our hello) can get there before the reset. Dropping it without closing it left a
   * second consumer of ours on the single-active-consumer queue — the active one, whose
   * deliveries nobody handled or acked, so the partition stalled for good.
   */
  reset(): Promise<void> {
    const live = this.#deps.session.connection;
    if (this.#channel && live && this.#channelConnection === live) return this.want(this.#wanted);
    this.#epoch++;
    this.#channel = undefined;
    this.#channelConnection = undefined;
    this.#stopping.abort();
    this.#busy = Promise.resolve();
    this.#sync = Promise.resolve();
    return this.want(this.#wanted);
  }

  /** Stops for good: waits for the message in hand, then closes the channel. */
  stop(): Promise<void> {
    return this.want(false);
  }

  async #reconcile(): Promise<void> {
    if (this.#wanted && !this.#channel) await this.#open();
    else if (!this.#wanted && this.#channel) {
      const channel = this.#channel;
      this.#stopping.abort();
      await this.#busy;
      this.#channel = undefined;
      this.#channelConnection = undefined;
      await withTimeout(channel.close(), this.#deps.requestTimeoutMs).catch(() => {});
    }
  }

  async #open(): Promise<void> {
    const { session, queue, requestTimeoutMs } = this.#deps;
    const connection = session.connection;
    if (!connection) return; // reconnecting: reset() re-opens
    const epoch = this.#epoch;
    const channel = await withTimeout(connection.createChannel(), requestTimeoutMs);
    channel.on('error', () => {});
    if (epoch !== this.#epoch || this.#channel || !this.#wanted) {
      // A reset (or another open) overtook this one: one consumer per queue and member only.
      void withTimeout(channel.close(), requestTimeoutMs).catch(() => {});
      return;
    }
    channel.on('close', () => {
      if (this.#channel !== channel) return;
      // Closed by the server (queue deleted, consumer timeout, …) while the connection lives.
      this.#channel = undefined;
      this.#channelConnection = undefined;
      setTimeout(() => {
        if (this.#wanted && !session.dead) void this.want(true);
      }, RESTART_DELAY_MS).unref();
    });
    this.#stopping = new AbortController();
    this.#channel = channel;
    this.#channelConnection = connection;
    try {
      await withTimeout(channel.prefetch(1), requestTimeoutMs);
      await withTimeout(
        channel.consume(queue, (msg) => {
          if (!msg) return; // cancelled by the server: the channel closes next
          // Handing the partition over: leave it unacked, the close returns it to the queue's head.
          if (this.#stopping.signal.aborted && this.#channel === channel) return;
          if (this.#channel !== channel) {
            // A channel this consumer no longer uses: close it, so the message goes back to the
            // queue's head and the queue to our current consumer (or another member's).
            void withTimeout(channel.close(), requestTimeoutMs).catch(() => {});
            return;
          }
          this.#busy = this.#handle(channel, msg);
        }),
        requestTimeoutMs,
      );
    } catch (error) {
      if (this.#channel === channel) {
        this.#channel = undefined;
        this.#channelConnection = undefined;
      }
      void withTimeout(channel.close(), requestTimeoutMs).catch(() => {});
      throw error;
    }
  }

  async #handle(channel: Channel, msg: ConsumeMessage): Promise<void> {
    const { slots, onError, queue, topic } = this.#deps;
    let decoded: ReturnType<typeof decodeEvent>;
    try {
      decoded = decodeEvent(msg.properties.headers, msg.properties.contentType, msg.content);
    } catch (err) {
      // Not ours (or corrupt): holding it would block the partition. Rejected without requeue,
      // RabbitMQ dead-letters it to the group's `.dead` queue.
      ignoreErrors(() => channel.nack(msg, false, false));
      onError(
        RabbitMqErrors.RABBITMQ_MESSAGE_INVALID({
          params: { queue, reason: (err as Error).message },
          cause: err,
        }),
      );
      return;
    }
    const counted = Number(msg.properties.headers?.['x-delivery-count'] ?? 0);
    let attempt = (Number.isFinite(counted) ? counted : 0) + 1;
    const stopping = this.#stopping.signal;
    for (;;) {
      const release = await slots.acquire();
      const delivery = new RabbitDelivery(channel, msg, topic, decoded, attempt);
      try {
        await this.#deps.handler(delivery);
        if (!delivery.outcome) await delivery.ack();
      } catch (err) {
        if (!delivery.outcome) {
          await delivery.nack({ delayMs: HANDLER_ERROR_NACK_MS });
          onError(RabbitMqErrors.RABBITMQ_HANDLER_FAILED({ params: { id: decoded.event.id }, cause: err }));
        } else onError(err as Error);
      } finally {
        release();
      }
      if (delivery.outcome !== 'nack') return;
      // Hold the message (unacked) through the delay, then hand it over again. If the member
      // stops or the channel goes meanwhile, the message returns to the head of the queue.
      if (!(await pause(delivery.delayMs, stopping)) || this.#channel !== channel) return;
      attempt++;
    }
  }
}

/** One delivery; the first of `ack`/`nack` wins, later calls are ignored. */
class RabbitDelivery implements Delivery {
  readonly topic: string;
  readonly key: string;
  readonly event: Delivery['event'];
  readonly attempt: number;
  readonly traceContext: Delivery['traceContext'];
  outcome: 'ack' | 'nack' | undefined;
  delayMs = 0;
  readonly #channel: Channel;
  readonly #msg: ConsumeMessage;

  constructor(
    channel: Channel,
    msg: ConsumeMessage,
    topic: string,
    decoded: ReturnType<typeof decodeEvent>,
    attempt: number,
  ) {
    this.topic = topic;
    this.key = decoded.key;
    this.event = decoded.event;
    this.traceContext = decoded.traceContext;
    this.attempt = attempt;
    this.#channel = channel;
    this.#msg = msg;
  }

  async ack(): Promise<void> {
    if (this.outcome) return;
    this.outcome = 'ack';
    try {
      this.#channel.ack(this.#msg);
    } catch (cause) {
      // The channel is closed: RabbitMQ has returned the message and will redeliver it.
      throw RabbitMqErrors.RABBITMQ_ACK_FAILED({ params: { id: this.event.id }, cause });
    }
  }

  async nack(options: { delayMs?: number } = {}): Promise<void> {
    if (this.outcome) return;
    this.outcome = 'nack';
    this.delayMs = options.delayMs && options.delayMs > 0 ? options.delayMs : 0;
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    // The channel is closed; RabbitMQ redelivers the message.
  }
}
