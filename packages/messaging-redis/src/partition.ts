const encoder = new TextEncoder();

/**
 * FNV-1a, 32-bit, over the UTF-8 bytes of `value`. The partition hash of every Outrig transport:
 * it is stable across processes, versions and languages, so publishers and consumers always
 * agree on which partition a key lives in.
 *
 * @example
 * fnv1a32('order-42'); // an unsigned 32-bit integer, the same on every run
 */
export function fnv1a32(value: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(value)) {
    hash ^= byte;
    // Math.imul keeps the product in 32 bits, as the C reference does.
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The partition of `key` among `partitions`: `fnv1a32(key) % partitions`.
 *
 * @example
 * partitionForKey('order-42', 16); // 0…15, always the same for 'order-42'
 */
export function partitionForKey(key: string, partitions: number): number {
  return fnv1a32(key) % partitions;
}
