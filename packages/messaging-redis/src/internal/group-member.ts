import { randomBytes } from 'node:crypto';
import type { DeliveryHandler, SubscribeOptions, Subscription } from '@outrig/messaging';
import { checkSubscribe, Semaphore } from '@outrig/messaging/adapter-kit';
import type { Redis } from 'ioredis';
import { RedisBusErrors } from '../errors.ts';
import { fnv1a32 } from '../partition.ts';
import type { ResolvedRedisBrokerOptions } from '../redis-broker-options.ts';
import { assertGroup, assertTopic, names } from './names.ts';
import { PartitionWorker } from './partition-worker.ts';
import { HEARTBEAT, LEASE, LEAVE, RELEASE } from './scripts.ts';

const DEFAULT_MAX_IN_FLIGHT = 64;

export interface GroupMemberDeps {
  readonly client: Redis;
  readonly o: ResolvedRedisBrokerOptions;
  /** A new connection for a partition's blocking reads. */
  readonly connect: () => Redis;
  /** Resolves when the broker's client ended for good (closed, or a simulated crash). */
  readonly dead: Promise<void>;
}

/**
 * One member of a consumer group. Every `heartbeatMs` it renews its entry in the group's member
 * set (a sorted set scored by expiry, on the server's clock), computes the partitions it should
 * own (live members in id order take the partitions round robin), takes or renews their leases,
 * and starts or stops a {@link PartitionWorker} per partition accordingly. A partition whose
 * lease it loses is dropped at once; one it should give away is released after the entry in
 * hand is settled.
 */
export async function openGroupMember(
  deps: GroupMemberDeps,
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

  const { client, o } = deps;
  const member = randomBytes(8).toString('hex');
  const startId = startFrom === 'earliest' ? '0' : '$';
  const slots = new Semaphore(maxInFlight);
  const onError = (error: Error) => {
    try {
      o.onError(error);
    } catch {
      // a throwing onError must not stop the member
    }
  };
  // The group exists on every partition before subscribe() resolves: nothing published from
  // now on can be missed.
  await Promise.all(
    unique.flatMap((topic) =>
      Array.from({ length: o.partitions }, (_, p) =>
        client
          .call('XGROUP', 'CREATE', names.stream(o, topic, p), group, startId, 'MKSTREAM')
          .catch((error) => {
            if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
          }),
      ),
    ),
  );

  const workers = new Map<string, PartitionWorker>();
  const start = (topic: string, p: number) =>
    new PartitionWorker({
      client,
      reader: deps.connect(),
      topic,
      stream: names.stream(o, topic, p),
      lease: names.lease(o, topic, group, p),
      group,
      member,
      startId,
      blockMs: o.blockMs,
      handler,
      slots,
      onError,
    });
  const drop = async (slot: string, topic: string, p: number, release: boolean) => {
    const worker = workers.get(slot);
    workers.delete(slot);
    await worker?.stop();
    if (release) await client.eval(RELEASE, 1, names.lease(o, topic, group, p), member).catch(() => {});
  };

  let closed = false;
  const tick = async () => {
    for (const topic of unique) {
      const members = (
        (await client.eval(
          HEARTBEAT,
          1,
          names.members(o, topic, group),
          member,
          o.sessionTimeoutMs,
        )) as string[]
      )
        .slice()
        .sort();
      if (!members.includes(member)) members.push(member);
      members.sort();
      const offset = fnv1a32(topic);
      await Promise.all(
        Array.from({ length: o.partitions }, async (_, p) => {
          const slot = `${topic}|${p}`;
          const mine = members[(offset + p) % members.length] === member;
          if (closed) return;
          if (!mine) {
            if (workers.has(slot)) await drop(slot, topic, p, true);
            return;
          }
          const held =
            (await client.eval(LEASE, 1, names.lease(o, topic, group, p), member, o.sessionTimeoutMs)) === 1;
          if (closed) return;
          if (held && !workers.has(slot)) workers.set(slot, start(topic, p));
          else if (!held && workers.has(slot)) await drop(slot, topic, p, false); // lost it: fenced already
        }),
      );
    }
  };
  let ticking: Promise<void> = tick();
  await ticking;
  const timer = setInterval(() => {
    ticking = ticking.then(() => (closed ? undefined : tick())).catch(onError);
  }, o.heartbeatMs);
  timer.unref();
  void deps.dead.then(() => {
    closed = true;
    clearInterval(timer);
    for (const worker of workers.values()) void worker.stop();
  });

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        closed = true;
        clearInterval(timer);
        const stopped = (async () => {
          await ticking.catch(() => {});
          for (const topic of unique)
            await client.eval(LEAVE, 1, names.members(o, topic, group), member).catch(() => {});
          await Promise.all(
            [...workers.keys()].map((slot) => {
              const [topic, p] = slot.split('|') as [string, string];
              return drop(slot, topic, Number(p), true);
            }),
          );
        })();
        // After the client ended nothing can be acked: do not wait for handlers that may never
        // return (a crashed member); the next owner claims their entries.
        await Promise.race([stopped, deps.dead]);
      })();
      return closing;
    },
  };
}

function invalid(reason: string) {
  return RedisBusErrors.REDIS_BUS_SUBSCRIBE_INVALID({ params: { reason } });
}
