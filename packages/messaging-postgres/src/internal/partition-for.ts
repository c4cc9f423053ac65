/**
 * The partition of a key: FNV-1a (32 bit) over the key's UTF-8 bytes, modulo the topic's
 * partition count. Stable across processes, platforms and Node versions — every publisher of the
 * bus must agree, or a key's messages would land in two partitions and lose their order.
 */
export function partitionFor(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(key)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

const encoder = new TextEncoder();
