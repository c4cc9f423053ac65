import type { PartitionRef } from './group-store.ts';
import { partitionFor } from './partition-for.ts';

/**
 * The partitions `me` should own: per topic, its partitions dealt round-robin over the live
 * members subscribed to that topic, sorted by id (a rotation by topic spreads the remainders).
 * Every member computes the same answer from the same member list, so views converge without a
 * coordinator; while views differ, the database lease keeps each partition with one owner.
 */
export function assignPartitions(
  me: string,
  members: ReadonlyMap<string, readonly string[]>,
  topics: readonly string[],
  partitionsOf: (topic: string) => number | undefined,
): PartitionRef[] {
  const mine: PartitionRef[] = [];
  for (const topic of topics) {
    const count = partitionsOf(topic);
    if (count === undefined) continue;
    const subscribers = [...members]
      .filter(([, memberTopics]) => memberTopics.includes(topic))
      .map(([id]) => id)
      .sort();
    const index = subscribers.indexOf(me);
    if (index < 0) continue;
    const rotation = partitionFor(topic, subscribers.length);
    for (let partition = 0; partition < count; partition++) {
      if ((partition + rotation) % subscribers.length === index) mine.push({ topic, partition });
    }
  }
  return mine;
}
