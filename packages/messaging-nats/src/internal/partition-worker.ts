import type { ConsumerInfo, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Delivery, DeliveryHandler } from '@outrig/messaging';
import type { Semaphore } from '@outrig/messaging/adapter-kit';
import { NatsErrors } from '../errors.ts';
import { decodeEvent } from './binary-mode.ts';

/** Delay of the redelivery when a handler throws instead of settling its delivery. */
const HANDLER_ERROR_NACK_MS = 1000;
/** Pause before re-opening a pull loop that failed (permissions, a deleted consumer, …). */
const RESTART_DELAY_MS = 1000;

export interface PartitionWorkerDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly topic: string;
  readonly handler: DeliveryHandler;
  /** This member's `maxInFlight`, shared by all partitions of the subscription. */
  readonly slots: Semaphore;
  readonly ackWaitMs: number;
  readonly requestTimeoutMs: number;
  readonly onError: (error: Error) => void;
  /** Checks (or re-creates) the partition's durable consumer. */
  ensureConsumer(): Promise<ConsumerInfo>;
}

/**
 * Pulls one partition consumer until stopped. The consumer has `max_ack_pending: 1`, so the
 * server hands out the partition's next message only after the previous one is acked (by any
 * member): handling here is strictly one message at a time.
 */
export class PartitionWorker {
  readonly #deps: PartitionWorkerDeps;
  #messages: ConsumerMessages | undefined;
  #stopping = false;
  readonly done: Promise<void>;

  constructor(deps: PartitionWorkerDeps, first: ConsumerInfo) {
    this.#deps = deps;
    this.done = this.#run(first);
  }

  /** Stops pulling; resolves once the message in hand (if any) is settled. */
  async stop(): Promise<void> {
    this.#stopping = true;
    // Not awaited: the iterator closes only once the loop below has drained it.
    void this.#messages?.close();
    await this.done;
  }

  async #run(first: ConsumerInfo): Promise<void> {
    let info: ConsumerInfo | undefined = first;
    while (!this.#stopping && !this.#deps.nc.isClosed()) {
      try {
        info ??= await this.#deps.ensureConsumer();
        // One message per pull: the client re-pulls as soon as it is handed over, so the next
        // message is already requested while this one is handled (no extra round trip).
        this.#messages = await this.#deps.js.consumers.getConsumerFromInfo(info).consume({ max_messages: 1 });
        if (this.#stopping) void this.#messages.close();
        for await (const msg of this.#messages) {
          // Stopping: hand buffered messages straight back so another member gets them now.
          if (this.#stopping) ignoreErrors(() => msg.nak());
          else await this.#handle(msg);
        }
      } catch (err) {
        if (this.#stopping || this.#deps.nc.isClosed()) break;
        this.#deps.onError(err as Error);
      }
      info = undefined;
      if (!this.#stopping && !this.#deps.nc.isClosed()) await sleep(RESTART_DELAY_MS);
    }
  }

  async #handle(msg: JsMsg): Promise<void> {
    const { nc, ackWaitMs, slots, onError } = this.#deps;
    // Keep the message ours while it waits for a slot and while the handler runs: a progress
    // ack (+WPI) restarts JetStream's ack timer, so only a dead process — no more heartbeats —
    // lets ack_wait expire and the message go to another member. Without it a handler slower
    // than ack_wait would run concurrently with its own redelivery, breaking per-key order.
    const heartbeat = setInterval(
      () => {
        if (nc.isClosed()) clearInterval(heartbeat);
        else ignoreErrors(() => msg.working());
      },
      Math.max(50, Math.floor(ackWaitMs / 3)),
    );
    heartbeat.unref();
    const release = await slots.acquire();
    try {
      let decoded: ReturnType<typeof decodeEvent>;
      try {
        decoded = decodeEvent(msg.headers, msg.data);
      } catch (err) {
        // Not ours (or corrupt): holding it would block the partition forever.
        // No reason string: nats-server < 2.10 ignores a `+TERM <reason>` it cannot parse.
        ignoreErrors(() => msg.term());
        const params = { seq: msg.seq, subject: msg.subject, reason: (err as Error).message };
        onError(NatsErrors.NATS_MESSAGE_INVALID({ params, cause: err }));
        return;
      }
      const delivery = new NatsDelivery(msg, this.#deps, decoded, () => clearInterval(heartbeat));
      try {
        await this.#deps.handler(delivery);
        if (!delivery.settled) await delivery.ack();
      } catch (err) {
        if (!delivery.settled) {
          await delivery.nack({ delayMs: HANDLER_ERROR_NACK_MS });
          onError(NatsErrors.NATS_HANDLER_FAILED({ params: { id: decoded.event.id }, cause: err }));
        } else onError(err as Error);
      }
    } finally {
      clearInterval(heartbeat);
      release();
    }
  }
}

/** One delivery; the first of `ack`/`nack` wins, later calls are ignored. */
class NatsDelivery implements Delivery {
  readonly topic: string;
  readonly key: string;
  readonly event: Delivery['event'];
  readonly attempt: number;
  readonly traceContext: Delivery['traceContext'];
  settled = false;
  readonly #msg: JsMsg;
  readonly #deps: PartitionWorkerDeps;
  readonly #onSettle: () => void;

  constructor(
    msg: JsMsg,
    deps: PartitionWorkerDeps,
    decoded: { event: Delivery['event']; key: string; traceContext?: Delivery['traceContext'] },
    onSettle: () => void,
  ) {
    this.topic = deps.topic;
    this.key = decoded.key;
    this.event = decoded.event;
    this.traceContext = decoded.traceContext;
    this.attempt = msg.info.deliveryCount;
    this.#msg = msg;
    this.#deps = deps;
    this.#onSettle = onSettle;
  }

  async ack(): Promise<void> {
    if (!this.#settle()) return;
    // Double ack: resolve only once JetStream confirms, so "acked" means it will not come back.
    const confirmed = await this.#msg
      .ackAck({ timeout: this.#deps.requestTimeoutMs })
      .catch((err: unknown) => err as Error);
    if (confirmed !== true) {
      const cause = confirmed instanceof Error ? confirmed : undefined;
      throw NatsErrors.NATS_ACK_FAILED({ params: { action: 'ack', id: this.event.id }, cause });
    }
  }

  /** Restarts JetStream's ack timer (+WPI). The worker already does this on a timer; harmless extra. */
  async inProgress(): Promise<void> {
    if (!this.settled) ignoreErrors(() => this.#msg.working());
  }

  async nack(options: { delayMs?: number } = {}): Promise<void> {
    if (!this.#settle()) return;
    const delay = options.delayMs && options.delayMs > 0 ? options.delayMs : undefined;
    // A lost nak has the same outcome as a delivered one (redelivery, only after ack_wait), so
    // it is best effort: never throw from the failure path of a handler.
    ignoreErrors(() => this.#msg.nak(delay));
  }

  #settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.#onSettle();
    return true;
  }
}

function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    // The connection is closed or reconnecting; JetStream redelivers after ack_wait.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
