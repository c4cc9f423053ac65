import type { OutgoingMessage, PublishResult } from '../broker.ts';

/**
 * Publishes a batch the way every Outrig transport does: messages of different keys
 * concurrently, messages of one key one after another (each waiting for `publishOne`, the
 * transport's durability point), and once a key's message failed, its later messages are not
 * sent and fail with `skipped(message)` — so a key's order is never broken by a partial batch.
 * Results are in the order of `messages`.
 *
 * @example
 * const results = await publishInKeyOrder(
 *   messages,
 *   (message) => publishOne(client, message),
 *   ({ event, key }) => MyErrors.MY_PUBLISH_SKIPPED({ params: { id: event.id, key } }),
 * );
 */
export async function publishInKeyOrder(
  messages: readonly OutgoingMessage[],
  publishOne: (message: OutgoingMessage) => Promise<PublishResult>,
  skipped: (message: OutgoingMessage) => Error,
): Promise<PublishResult[]> {
  const results: PublishResult[] = new Array(messages.length);
  const chains = new Map<string, number[]>();
  messages.forEach((message, index) => {
    const chain = chains.get(message.key);
    if (chain) chain.push(index);
    else chains.set(message.key, [index]);
  });
  await Promise.all(
    [...chains.values()].map(async (chain) => {
      let failed = false;
      for (const index of chain) {
        const message = messages[index] as OutgoingMessage;
        if (failed) {
          results[index] = { ok: false, error: skipped(message) };
          continue;
        }
        const result = await publishOne(message);
        results[index] = result;
        failed = !result.ok;
      }
    }),
  );
  return results;
}
