import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { NatsErrors } from '../errors.ts';
import type { ResolvedNatsBrokerOptions } from '../nats-broker-options.ts';

const TOPIC = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const GROUP = /^[A-Za-z0-9_.-]{1,128}$/;
/** JetStream API error codes we react to (server `err_code`). */
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

export function assertTopic(topic: string): void {
  if (!TOPIC.test(topic) || topic.length > 200) throw NatsErrors.NATS_TOPIC_INVALID({ params: { topic } });
}

export function assertGroup(group: string): void {
  if (!GROUP.test(group)) {
    throw NatsErrors.NATS_SUBSCRIBE_INVALID({
      params: { reason: `group "${group}" must be 1–128 letters, digits, _, - or .` },
    });
  }
}

/** `product.events` → `OUTRIG_product_events`. Collisions (`a.b` vs `a_b`) are caught by the subject check. */
export function streamName(prefix: string, topic: string): string {
  return `${prefix}_${topic.replaceAll('.', '_')}`;
}

/**
 * `product.events`, partition 3 → `OUTRIG.product.events.3`: the prefix keeps two systems that
 * share a NATS account (each with its own `streamPrefix`) from writing into each other's streams.
 */
export function partitionSubject(prefix: string, topic: string, partition: number): string {
  return `${prefix}.${topic}.${partition}`;
}

/** Every partition subject of a topic: the stream's subject filter. */
export function topicSubjects(prefix: string, topic: string): string {
  return `${prefix}.${topic}.*`;
}

/** Durable name of one (group, partition) consumer on the topic's stream. */
export function consumerName(group: string, partition: number): string {
  return `${group.replaceAll('.', '_')}_p${partition}`;
}

/**
 * Creates the topic's stream, or checks and updates it: idempotent, safe when several
 * processes race. The description records topic and partition count so a mismatch fails loudly
 * instead of silently breaking per-key order.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  topic: string,
  o: ResolvedNatsBrokerOptions,
): Promise<string> {
  const name = streamName(o.streamPrefix, topic);
  const wanted: Partial<StreamConfig> & { name: string } = {
    name,
    subjects: [topicSubjects(o.streamPrefix, topic)],
    description: `outrig topic=${topic} partitions=${o.partitions}`,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage: o.storage === 'file' ? StorageType.File : StorageType.Memory,
    num_replicas: o.replicas,
    duplicate_window: nanos(o.duplicateWindowMs),
    max_age: nanos(o.maxAgeMs),
  };
  for (let attempt = 0; ; attempt++) {
    const existing = await jsm.streams.info(name).catch((err: unknown) => {
      if (apiCode(err) === STREAM_NOT_FOUND) return undefined;
      throw setupFailed(name, err);
    });
    if (!existing) {
      try {
        await jsm.streams.add(wanted);
        return name;
      } catch (err) {
        // Another process created it between our info and add: check theirs on the next turn.
        if (attempt < 2) continue;
        throw setupFailed(name, err);
      }
    }
    const c = existing.config;
    if (!c.subjects?.includes(topicSubjects(o.streamPrefix, topic))) {
      const legacy = c.subjects?.includes(`${topic}.*`)
        ? ' (created by @outrig/messaging-nats before subjects carried the prefix: let its consumers drain it, then delete the stream)'
        : '';
      throw conflict(name, topic, `its subjects are ${JSON.stringify(c.subjects)}${legacy}`);
    }
    if (c.description !== wanted.description) {
      throw conflict(name, topic, `it was created as "${c.description}", we use ${o.partitions} partitions`);
    }
    if (
      c.duplicate_window !== wanted.duplicate_window ||
      c.num_replicas !== wanted.num_replicas ||
      c.max_age !== wanted.max_age
    ) {
      const { duplicate_window, num_replicas, max_age } = wanted;
      await jsm.streams
        .update(name, { ...c, duplicate_window, num_replicas, max_age })
        .catch((err: unknown) => Promise.reject(setupFailed(name, err)));
    }
    return name;
  }
}

/**
 * Creates the durable pull consumer of one (group, partition), or checks and updates an existing
 * one. `max_ack_pending: 1` is what makes the partition strictly sequential across every member.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  topic: string,
  partition: number,
  group: string,
  startFrom: 'earliest' | 'latest',
  o: ResolvedNatsBrokerOptions,
): Promise<ConsumerInfo> {
  const name = consumerName(group, partition);
  const description = `outrig group=${group} topic=${topic} partition=${partition}`;
  const tunable = { ack_wait: nanos(o.ackWaitMs), max_deliver: o.maxDeliver };
  for (let attempt = 0; ; attempt++) {
    const existing = await jsm.consumers.info(stream, name).catch((err: unknown) => {
      if (apiCode(err) === CONSUMER_NOT_FOUND) return undefined;
      throw setupFailed(name, err);
    });
    if (existing) {
      const c = existing.config;
      if (c.description !== description || c.max_ack_pending !== 1) {
        throw NatsErrors.NATS_CONSUMER_CONFLICT({
          params: { consumer: name, stream, reason: `it is "${c.description}", expected "${description}"` },
        });
      }
      if (c.ack_wait === tunable.ack_wait && c.max_deliver === tunable.max_deliver) return existing;
      return jsm.consumers
        .update(stream, name, tunable)
        .catch((err: unknown) => Promise.reject(setupFailed(name, err)));
    }
    const config: Partial<ConsumerConfig> = {
      durable_name: name,
      description,
      filter_subject: partitionSubject(o.streamPrefix, topic, partition),
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: 1,
      // `new` applies only when the durable is first created; an existing group keeps its place.
      deliver_policy: startFrom === 'latest' ? DeliverPolicy.New : DeliverPolicy.All,
      ...tunable,
    };
    try {
      return await jsm.consumers.add(stream, config);
    } catch (err) {
      if (attempt < 2) continue;
      throw setupFailed(name, err);
    }
  }
}

function apiCode(err: unknown): number | undefined {
  const api = (err as { apiError?: () => { err_code?: number } }).apiError?.();
  return api?.err_code;
}

function setupFailed(name: string, cause: unknown) {
  return NatsErrors.NATS_SETUP_FAILED({ params: { name }, cause });
}

function conflict(stream: string, topic: string, reason: string) {
  return NatsErrors.NATS_STREAM_CONFLICT({ params: { stream, topic, reason } });
}
