import type { JetStreamClient } from '@nats-io/jetstream';
import type { OutgoingMessage, PublishResult } from '@outrig/messaging';
import { publishInKeyOrder, type Semaphore } from '@outrig/messaging/adapter-kit';
import { NatsErrors } from '../errors.ts';
import { partitionForKey } from '../partition.ts';
import { encodeEvent } from './binary-mode.ts';
import { assertTopic, partitionSubject } from './jetstream-setup.ts';

export interface PublisherDeps {
  readonly js: JetStreamClient;
  readonly partitions: number;
  /** `streamPrefix`: the first token of every subject. */
  readonly subjectPrefix: string;
  readonly requestTimeoutMs: number;
  /** Bounds publishes awaiting their ack across all batches. */
  readonly inFlight: Semaphore;
  ensureStream(topic: string): Promise<unknown>;
  /** Forget the cached stream check so the next batch re-creates it (e.g. a memory stream lost on restart). */
  forgetStream(topic: string): void;
}

/**
 * Publishes a batch: messages of different keys go out concurrently, messages of one key one
 * after another, each waiting for its JetStream ack (the durability point). After a key's
 * message fails, that key's later messages are not sent and fail with `NATS_PUBLISH_SKIPPED`.
 */
export async function publishBatch(
  deps: PublisherDeps,
  messages: readonly OutgoingMessage[],
): Promise<PublishResult[]> {
  const topicReady = new Map<string, Promise<Error | undefined>>();
  for (const { topic } of messages) {
    if (topicReady.has(topic)) continue;
    topicReady.set(topic, prepareTopic(deps, topic));
  }
  return publishInKeyOrder(
    messages,
    async (message) => publishOne(deps, message, await topicReady.get(message.topic)),
    ({ event, key }) => NatsErrors.NATS_PUBLISH_SKIPPED({ params: { id: event.id, key } }),
  );
}

async function prepareTopic(deps: PublisherDeps, topic: string): Promise<Error | undefined> {
  try {
    assertTopic(topic);
    await deps.ensureStream(topic);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

async function publishOne(
  deps: PublisherDeps,
  { topic, key, event, traceContext }: OutgoingMessage,
  topicError: Error | undefined,
): Promise<PublishResult> {
  if (topicError) return { ok: false, error: topicError };
  const subject = partitionSubject(deps.subjectPrefix, topic, partitionForKey(key, deps.partitions));
  let encoded: ReturnType<typeof encodeEvent>;
  try {
    encoded = encodeEvent(event, key, traceContext);
  } catch (err) {
    return { ok: false, error: err as Error };
  }
  const release = await deps.inFlight.acquire();
  try {
    // Nats-Msg-Id = event id: JetStream drops a re-publish within the stream's duplicate window
    // and still acks it (`duplicate: true`), which is exactly "already durably accepted".
    await deps.js.publish(subject, encoded.payload, {
      msgID: event.id,
      headers: encoded.headers,
      timeout: deps.requestTimeoutMs,
    });
    return { ok: true };
  } catch (cause) {
    deps.forgetStream(topic);
    const error = NatsErrors.NATS_PUBLISH_FAILED({ params: { id: event.id, subject }, cause });
    return { ok: false, error };
  } finally {
    release();
  }
}
