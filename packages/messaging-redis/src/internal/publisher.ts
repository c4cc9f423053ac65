import { isOutrigError } from '@outrig/core/errors';
import type { OutgoingMessage, PublishResult } from '@outrig/messaging';
import { publishInKeyOrder } from '@outrig/messaging/adapter-kit';
import type { Redis } from 'ioredis';
import { RedisBusErrors } from '../errors.ts';
import { partitionForKey } from '../partition.ts';
import type { ResolvedRedisBrokerOptions } from '../redis-broker-options.ts';
import { encodeEvent } from './binary-mode.ts';
import { assertTopic, names } from './names.ts';

/**
 * Publishes a batch with `XADD` to the key's partition stream, trimming entries older than the
 * retention on the way (`MINID ~`, approximate, so cheap). Messages of different keys go out
 * concurrently (ioredis pipelines them), messages of one key one after another; after a key's
 * message fails, its later messages fail with `REDIS_BUS_PUBLISH_SKIPPED`.
 */
export async function publishBatch(
  client: Redis,
  o: ResolvedRedisBrokerOptions,
  messages: readonly OutgoingMessage[],
): Promise<PublishResult[]> {
  return publishInKeyOrder(
    messages,
    (message) => publishOne(client, o, message),
    ({ event, key }) => RedisBusErrors.REDIS_BUS_PUBLISH_SKIPPED({ params: { id: event.id, key } }),
  );
}

async function publishOne(
  client: Redis,
  o: ResolvedRedisBrokerOptions,
  { topic, key, event, traceContext }: OutgoingMessage,
): Promise<PublishResult> {
  let stream = topic;
  try {
    assertTopic(topic);
    stream = names.stream(o, topic, partitionForKey(key, o.partitions));
    const fields = encodeEvent(event, key, traceContext);
    const trim = o.retentionMs > 0 ? ['MINID', '~', `${Date.now() - o.retentionMs}-0`] : [];
    await client.call('XADD', stream, ...trim, '*', ...fields);
    return { ok: true };
  } catch (cause) {
    if (isOutrigError(cause)) return { ok: false, error: cause };
    return {
      ok: false,
      error: RedisBusErrors.REDIS_BUS_PUBLISH_FAILED({ params: { id: event.id, stream }, cause }),
    };
  }
}
