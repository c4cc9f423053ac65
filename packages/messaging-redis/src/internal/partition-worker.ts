import type { Delivery, DeliveryHandler } from '@outrig/messaging';
import type { Semaphore } from '@outrig/messaging/adapter-kit';
import type { Redis } from 'ioredis';
import { RedisBusErrors } from '../errors.ts';
import { decodeEvent } from './binary-mode.ts';
import { FENCED_ACK } from './scripts.ts';

/** Delay of the retry when a handler throws instead of settling its delivery. */
const HANDLER_ERROR_NACK_MS = 1000;
/** Pause after a failed read (server restarting, group lost, …) before trying again. */
const RETRY_DELAY_MS = 500;

export interface PartitionWorkerDeps {
  /** The broker's shared client (claims, acks). */
  readonly client: Redis;
  /** A connection of this worker's own for the blocking read; closed when the worker stops. */
  readonly reader: Redis;
  readonly topic: string;
  readonly stream: string;
  readonly lease: string;
  readonly group: string;
  readonly member: string;
  readonly startId: '0' | '$';
  readonly blockMs: number;
  readonly handler: DeliveryHandler;
  readonly slots: Semaphore;
  readonly onError: (error: Error) => void;
}

type Entry = [id: string, fields: string[]];

/**
 * Works one partition stream while this member holds its lease: first the group's pending
 * entries, oldest first, whoever they were delivered to (`XAUTOCLAIM` — a member that died or
 * lost the partition left them), then new ones (`XREADGROUP … >`), one entry at a time, so a key
 * is handled in stream order and never concurrently. Acks are fenced by the lease.
 */
export class PartitionWorker {
  readonly #deps: PartitionWorkerDeps;
  readonly #stop = new AbortController();
  readonly done: Promise<void>;

  constructor(deps: PartitionWorkerDeps) {
    this.#deps = deps;
    this.done = this.#run();
  }

  /** Stops reading; resolves once the entry in hand (if any) is settled or abandoned. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#deps.reader.disconnect();
    await this.done;
  }

  async #run(): Promise<void> {
    const { onError } = this.#deps;
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        const pending = await this.#claimPending();
        if (pending) {
          await this.#handle(pending.entry, pending.attempt);
          continue;
        }
        if (signal.aborted) break;
        const fresh = await this.#readNew();
        if (fresh) await this.#handle(fresh, 1);
      } catch (error) {
        if (signal.aborted) break;
        if (String((error as Error).message).includes('NOGROUP')) await this.#recreateGroup();
        else onError(error as Error);
        await pause(RETRY_DELAY_MS, signal);
      }
    }
  }

  /** The oldest pending entry of the group on this stream, claimed for this member, with its delivery count. */
  async #claimPending(): Promise<{ entry: Entry; attempt: number } | undefined> {
    const { client, stream, group, member } = this.#deps;
    const reply = (await client.call('XAUTOCLAIM', stream, group, member, '0', '0-0', 'COUNT', '1')) as [
      string,
      (Entry | null)[],
      string[]?,
    ];
    const entry = reply[1].find((e): e is Entry => Array.isArray(e));
    if (!entry) return undefined;
    return { entry, attempt: await this.#deliveryCount(entry[0]) };
  }

  async #deliveryCount(id: string): Promise<number> {
    const { client, stream, group } = this.#deps;
    const rows = (await client.call('XPENDING', stream, group, id, id, '1')) as [
      string,
      string,
      number,
      number,
    ][];
    return Math.max(1, Number(rows[0]?.[3] ?? 1));
  }

  async #readNew(): Promise<Entry | undefined> {
    const { reader, stream, group, member, blockMs } = this.#deps;
    const reply = (await reader.call(
      'XREADGROUP',
      'GROUP',
      group,
      member,
      'COUNT',
      '1',
      'BLOCK',
      String(blockMs),
      'STREAMS',
      stream,
      '>',
    )) as [string, Entry[]][] | null;
    return reply?.[0]?.[1]?.[0];
  }

  async #recreateGroup(): Promise<void> {
    const { client, stream, group, startId } = this.#deps;
    await client.call('XGROUP', 'CREATE', stream, group, startId, 'MKSTREAM').catch(() => {});
  }

  async #handle(entry: Entry, firstAttempt: number): Promise<void> {
    const { client, stream, group, member, slots, onError, topic } = this.#deps;
    const [id, fields] = entry;
    let decoded: ReturnType<typeof decodeEvent>;
    try {
      decoded = decodeEvent(fields);
    } catch (err) {
      // Not ours (or corrupt): holding it would block the partition forever.
      await this.#ack(id, id).catch(() => {});
      onError(
        RedisBusErrors.REDIS_BUS_MESSAGE_INVALID({
          params: { entry: id, stream, reason: (err as Error).message },
          cause: err,
        }),
      );
      return;
    }
    let attempt = firstAttempt;
    const signal = this.#stop.signal;
    for (;;) {
      const release = await slots.acquire();
      const delivery = new RedisDelivery(topic, decoded, attempt, () => this.#ack(id, decoded.event.id));
      try {
        await this.#deps.handler(delivery);
        if (!delivery.outcome) await delivery.ack();
      } catch (err) {
        if (!delivery.outcome) {
          await delivery.nack({ delayMs: HANDLER_ERROR_NACK_MS });
          onError(RedisBusErrors.REDIS_BUS_HANDLER_FAILED({ params: { id: decoded.event.id }, cause: err }));
        } else onError(err as Error);
      } finally {
        release();
      }
      if (delivery.outcome !== 'nack') return;
      // Keep the entry (pending, ours) through the delay, then hand it over again; if the worker
      // stops meanwhile, the next owner claims it first.
      if (!(await pause(delivery.delayMs, signal))) return;
      // Count the redelivery where Redis counts them (XCLAIM raises the delivery counter).
      const claimed = (await client.call('XCLAIM', stream, group, member, '0', id)) as Entry[];
      if (claimed.length === 0) return; // trimmed or acked meanwhile
      attempt = Math.max(attempt + 1, await this.#deliveryCount(id));
    }
  }

  /** XACK of entry `id` if this member still holds the lease; errors name `eventId`. */
  async #ack(id: string, eventId: string): Promise<void> {
    const { client, lease, stream, member, group } = this.#deps;
    let result: unknown;
    try {
      result = await client.eval(FENCED_ACK, 2, lease, stream, member, group, id);
    } catch (cause) {
      throw RedisBusErrors.REDIS_BUS_ACK_FAILED({
        params: { id: eventId, reason: (cause as Error).message },
        cause,
      });
    }
    if (result === -1) {
      const reason = 'this member no longer holds the partition';
      throw RedisBusErrors.REDIS_BUS_ACK_FAILED({ params: { id: eventId, reason } });
    }
  }
}

/** One delivery; the first of `ack`/`nack` wins, later calls are ignored. */
class RedisDelivery implements Delivery {
  readonly topic: string;
  readonly key: string;
  readonly event: Delivery['event'];
  readonly attempt: number;
  readonly traceContext: Delivery['traceContext'];
  outcome: 'ack' | 'nack' | undefined;
  delayMs = 0;
  readonly #ack: () => Promise<void>;

  constructor(
    topic: string,
    decoded: ReturnType<typeof decodeEvent>,
    attempt: number,
    ack: () => Promise<void>,
  ) {
    this.topic = topic;
    this.key = decoded.key;
    this.event = decoded.event;
    this.traceContext = decoded.traceContext;
    this.attempt = attempt;
    this.#ack = ack;
  }

  async ack(): Promise<void> {
    if (this.outcome) return;
    this.outcome = 'ack';
    await this.#ack();
  }

  async nack(options: { delayMs?: number } = {}): Promise<void> {
    if (this.outcome) return;
    this.outcome = 'nack';
    this.delayMs = options.delayMs && options.delayMs > 0 ? options.delayMs : 0;
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
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
