import {
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { Subscription, TailHandler } from '@outrig/messaging';
import { NatsErrors } from '../errors.ts';
import type { ResolvedNatsBrokerOptions } from '../nats-broker-options.ts';
import { decodeEvent } from './binary-mode.ts';
import { assertTopic, streamName, topicSubjects } from './jetstream-setup.ts';

/** JetStream API error code: stream not found. */
const STREAM_NOT_FOUND = 10059;
/** How often a tail looks for a topic's stream that does not exist yet. */
const STREAM_POLL_MS = 1000;
/**
 * The server deletes a tail's consumer this long after its client stops pulling — what is
 * left behind for a while if the process is killed; a closed tail deletes it at once.
 */
const INACTIVE_THRESHOLD_MS = 10_000;

export interface TailDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly options: ResolvedNatsBrokerOptions;
}

/**
 * `Broker.tail` on JetStream: one ordered consumer (ephemeral, no acks, in memory on the
 * server) per topic stream, from the stream's end. It never creates a stream: a topic without
 * one is looked for every second, and read from its start once it appears (all of it is new).
 * Closing stops the pulls and deletes the consumers, so nothing remains on the server.
 */
export async function openTail(
  deps: TailDeps,
  topics: readonly string[],
  handler: TailHandler,
): Promise<Subscription> {
  if (!Array.isArray(topics) || topics.length === 0) {
    throw NatsErrors.NATS_SUBSCRIBE_INVALID({ params: { reason: 'give at least one topic' } });
  }
  for (const topic of topics) assertTopic(topic);
  const { js, jsm, options: o } = deps;
  const onError = (error: Error) => {
    try {
      o.onError(error);
    } catch {
      // ignored on purpose
    }
  };
  let stopped = false;
  let chain = Promise.resolve();
  const consumers: Consumer[] = [];
  const readers: { messages?: ConsumerMessages; loop?: Promise<void> }[] = [];
  const waits = new Set<ReturnType<typeof setTimeout>>();

  const follow = async (topic: string, stream: string, policy: DeliverPolicy) => {
    const consumer = await js.consumers.get(stream, {
      // The stream's own subject filter (`<prefix>.<topic>.*`): every partition of the topic.
      filter_subjects: topicSubjects(o.streamPrefix, topic),
      deliver_policy: policy,
      inactive_threshold: INACTIVE_THRESHOLD_MS,
    });
    if (stopped) {
      // close() ran while this consumer was being created: it must not outlive the tail.
      await consumer.delete().catch(() => {});
      return;
    }
    consumers.push(consumer);
    const messages = await consumer.consume();
    const reader: (typeof readers)[number] = { messages };
    reader.loop = (async () => {
      for await (const m of messages) {
        let decoded: ReturnType<typeof decodeEvent>;
        try {
          decoded = decodeEvent(m.headers, m.data);
        } catch (err) {
          onError(
            new Error(`tail: skipped an undecodable message on ${m.subject}: ${(err as Error).message}`),
          );
          continue;
        }
        const message = { topic, ...decoded };
        chain = chain.then(() => handler(message)).catch((err: unknown) => onError(err as Error));
        await chain;
      }
    })().catch((err: unknown) => onError(err as Error));
    readers.push(reader);
  };

  // Streams that exist now are read from their end; the others are waited for.
  const waitFor = (topic: string, stream: string) => {
    const timer = setTimeout(async () => {
      waits.delete(timer);
      if (stopped) return;
      try {
        if (await exists(jsm, stream)) await follow(topic, stream, DeliverPolicy.All);
        else waitFor(topic, stream);
      } catch (err) {
        onError(err as Error);
        waitFor(topic, stream);
      }
    }, STREAM_POLL_MS);
    waits.add(timer);
  };
  try {
    for (const topic of new Set(topics)) {
      const stream = streamName(o.streamPrefix, topic);
      if (await exists(jsm, stream)) await follow(topic, stream, DeliverPolicy.New);
      else waitFor(topic, stream);
    }
  } catch (cause) {
    stopped = true;
    for (const c of consumers) await c.delete().catch(() => {});
    throw NatsErrors.NATS_SETUP_FAILED({ params: { name: `tail of ${topics.join(', ')}` }, cause });
  }

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        stopped = true;
        for (const t of waits) clearTimeout(t);
        waits.clear();
        for (const r of readers) r.messages?.stop();
        await Promise.allSettled(readers.map((r) => r.loop));
        await chain;
        // The ordered consumer may have been re-created (a gap, a reconnect): delete() takes
        // its current name. A consumer already gone is fine.
        await Promise.allSettled(consumers.map((c) => c.delete()));
      })();
      return closing;
    },
  };
}

async function exists(jsm: JetStreamManager, stream: string): Promise<boolean> {
  try {
    await jsm.streams.info(stream);
    return true;
  } catch (err) {
    const code = (err as { apiError?: () => { err_code?: number } }).apiError?.()?.err_code;
    if (code === STREAM_NOT_FOUND) return false;
    throw err;
  }
}
