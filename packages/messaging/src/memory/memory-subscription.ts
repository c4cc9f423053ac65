import type { Delivery, DeliveryHandler, SubscribeOptions, Subscription } from '../broker.ts';
import type { CloudEvent } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';
import type { GroupMember, MemoryGroup, Settle, StoredMessage } from './memory-group.ts';
import type { MemoryHub } from './memory-hub.ts';

interface Outstanding {
  readonly settle: Settle;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * One subscription of one memory broker: a member of its group(s). Tracks its outstanding
 * deliveries (ack timeout, crash) and its running handlers (graceful close).
 */
export class MemorySubscription implements Subscription, GroupMember {
  readonly topics: ReadonlySet<string>;
  readonly maxInFlight: number;
  inFlight = 0;
  onClose: (() => void) | undefined;
  readonly #groups: MemoryGroup[];
  readonly #handler: DeliveryHandler;
  readonly #ackTimeoutMs: number;
  readonly #redeliveryDelayMs: number;
  readonly #outstanding = new Set<Outstanding>();
  readonly #running = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;

  constructor(
    hub: MemoryHub,
    topics: readonly string[],
    options: SubscribeOptions,
    handler: DeliveryHandler,
    ackTimeoutMs: number,
    redeliveryDelayMs: number,
  ) {
    const { group, maxInFlight = 64, startFrom = 'earliest' } = options;
    if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || !t)) {
      throw MessagingErrors.BUS_OPTIONS_INVALID({ params: { reason: 'topics must be non-empty strings' } });
    }
    if (typeof group !== 'string' || group === '') {
      throw MessagingErrors.BUS_OPTIONS_INVALID({ params: { reason: 'group must be a non-empty string' } });
    }
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw MessagingErrors.BUS_OPTIONS_INVALID({ params: { reason: 'maxInFlight must be an integer ≥ 1' } });
    }
    this.topics = new Set(topics);
    this.maxInFlight = maxInFlight;
    this.#handler = handler;
    this.#ackTimeoutMs = ackTimeoutMs;
    this.#redeliveryDelayMs = redeliveryDelayMs;
    this.#groups = [...new Set(topics.map((t) => hub.group(group, t, startFrom)))];
    for (const g of this.#groups) g.addMember(this);
  }

  deliver(message: StoredMessage, attempt: number, settle: Settle): void {
    const item: Outstanding = { settle, timer: undefined };
    this.#outstanding.add(item);
    const release = (result: Parameters<Settle>[0]) => {
      if (!this.#outstanding.delete(item)) return;
      clearTimeout(item.timer);
      settle(result);
    };
    const arm = () => {
      clearTimeout(item.timer);
      item.timer = setTimeout(() => release({ delayMs: 0 }), this.#ackTimeoutMs);
      item.timer.unref();
    };
    arm();
    const delivery: Delivery = {
      topic: message.topic,
      key: message.key,
      event: JSON.parse(message.json) as CloudEvent,
      attempt,
      ...(message.traceContext && { traceContext: { ...message.traceContext } }),
      ack: async () => release('ack'),
      nack: async (o) => release({ delayMs: o?.delayMs ?? 0 }),
      inProgress: async () => {
        if (this.#outstanding.has(item)) arm();
      },
    };
    // Run on a later tick: the group's dispatch pass must finish before any settle.
    const run = Promise.resolve()
      .then(() => this.#handler(delivery))
      .catch(() => release({ delayMs: this.#redeliveryDelayMs }))
      .finally(() => this.#running.delete(run));
    this.#running.add(run);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const g of this.#groups) g.removeMember(this);
      while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
      // Whatever the handlers left unsettled goes back to the group for another member.
      for (const item of [...this.#outstanding]) {
        this.#outstanding.delete(item);
        clearTimeout(item.timer);
        item.settle({ delayMs: 0 });
      }
      this.onClose?.();
    })();
    return this.#closing;
  }

  crash(): void {
    this.#closing ??= Promise.resolve();
    for (const g of this.#groups) g.removeMember(this);
    for (const item of this.#outstanding) {
      clearTimeout(item.timer);
      item.settle({ delayMs: 0 });
    }
    this.#outstanding.clear();
  }
}
