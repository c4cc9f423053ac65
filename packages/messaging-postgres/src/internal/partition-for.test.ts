import { describe, expect, it } from 'vitest';
import { partitionFor } from './partition-for.ts';

describe('partitionFor', () => {
  it('is the FNV-1a hash of the UTF-8 key, so every process agrees on it', () => {
    // Reference values of FNV-1a 32: "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
    expect(partitionFor('', 2 ** 31)).toBe(0x811c9dc5 % 2 ** 31);
    expect(partitionFor('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(partitionFor('foobar', 2 ** 31)).toBe(0xbf9cf968 % 2 ** 31);
  });

  it('spreads keys over all partitions and stays in range', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const p = partitionFor(`order-${i}`, 16);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(16);
      seen.add(p);
    }
    expect(seen.size).toBe(16);
  });

  it('hashes non-ASCII keys by their UTF-8 bytes', () => {
    expect(partitionFor('é', 1000)).toBe(partitionFor('\u00e9', 1000));
    expect(partitionFor('é', 2 ** 31)).not.toBe(partitionFor('e', 2 ** 31));
  });
});
