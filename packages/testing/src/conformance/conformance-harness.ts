import { randomBytes, randomUUID } from 'node:crypto';
import type {
  Broker,
  CloudEvent,
  Delivery,
  DeliveryHandler,
  SubscribeOptions,
  Subscription,
} from '@outrig/messaging';
import type { BrokerConformanceOptions } from './broker-conformance-options.ts';
import { ConformanceDatabase } from './conformance-database.ts';

/** Shared state of one conformance run: unique names, what to close, the probe broker. */
export class ConformanceHarness {
  readonly options: BrokerConformanceOptions;
  readonly run = randomBytes(3).toString('hex');
  readonly timeoutMs: number;
  /** Set in beforeAll: false when the server is unavailable (every check skips). */
  available = false;
  /** A broker kept for the whole run: capabilities, ping. */
  probe: Broker | undefined;
  /** The PostgreSQL database of the consumer checks (created on first use). */
  readonly db = new ConformanceDatabase();
  readonly #topics = new Set<string>();
  #brokers: Broker[] = [];
  #closers: (() => Promise<void>)[] = [];

  constructor(options: BrokerConformanceOptions) {
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? 20_000;
  }

  /** A topic name unique to this run, e.g. `conf-3fa2c1-order.events`. */
  topic(check: string): string {
    const topic = `conf-${this.run}-${check}.events`;
    this.#topics.add(topic);
    return topic;
  }

  /** Records a topic created indirectly (dead-letter topics), for `cleanup`. */
  usedTopic(topic: string): string {
    this.#topics.add(topic);
    return topic;
  }

  /** A consumer-group name unique to this run (letters, digits, dashes only). */
  group(name: string): string {
    return `conf-${this.run}-${name}`;
  }

  topics(): string[] {
    return [...this.#topics];
  }

  /** A new broker instance ("another process"), closed after the check. */
  async broker(): Promise<Broker> {
    const broker = await this.options.create();
    this.#brokers.push(broker);
    return broker;
  }

  /** The check closed `broker` itself: do not close it again. */
  forget(broker: Broker): void {
    this.#brokers = this.#brokers.filter((b) => b !== broker);
  }

  /** Something else to close after the check (consumers), before the brokers. */
  onCleanup(close: () => Promise<void>): void {
    this.#closers.push(close);
  }

  /** Closes what the check opened; a close that hangs fails the check instead of the run. */
  async closeAll(): Promise<void> {
    const closers = this.#closers.splice(0).reverse();
    const brokers = this.#brokers.splice(0);
    for (const close of closers) await bounded(close(), 10_000, 'closing a consumer');
    await bounded(Promise.all(brokers.map((b) => b.close())), 10_000, 'broker.close()');
  }

  /** Resolves true once `predicate` holds, false after `timeoutMs` (never throws). */
  async eventually(predicate: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() <= deadline) {
      if (await predicate()) return true;
      await sleep(10);
    }
    return false;
  }

  /** Waits until `predicate` holds, or fails naming what did not happen. */
  async waitFor(
    what: string,
    predicate: () => boolean | Promise<boolean>,
    timeoutMs = this.timeoutMs - 2000,
  ) {
    const deadline = Date.now() + Math.max(1000, timeoutMs);
    for (;;) {
      if (await predicate()) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
      await sleep(10);
    }
  }
}

/** A subscription that records deliveries (acking them unless `handle` says otherwise). */
export async function collect(
  broker: Broker,
  topics: readonly string[],
  options: SubscribeOptions,
  handle?: DeliveryHandler,
): Promise<{ deliveries: Delivery[]; subscription: Subscription }> {
  const deliveries: Delivery[] = [];
  const subscription = await broker.subscribe(topics, options, async (d) => {
    deliveries.push(d);
    if (handle) await handle(d);
    else await d.ack();
  });
  return { deliveries, subscription };
}

/** A valid event with every attribute and extension set; `overrides` win. */
export function makeEvent(overrides: Partial<CloudEvent> = {}): CloudEvent {
  const id = randomUUID();
  return {
    specversion: '1.0',
    id,
    source: '/services/conformance',
    type: 'conformance.tested',
    subject: 'agg-1',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { n: 1 },
    aggregatetype: 'conformance',
    aggregateversion: 1,
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    tracestate: 'outrig=conformance',
    baggage: 'tenant=acme',
    correlationid: randomUUID(),
    causationid: randomUUID(),
    ...overrides,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise plus its resolver. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
