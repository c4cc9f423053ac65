import { describe, expect, it } from 'vitest';
import { fnv1a32, partitionForKey } from './partition.ts';

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is 0xC3 0xA9 in UTF-8: two bytes, so it differs from hashing the single code unit 0xE9.
    expect(fnv1a32('é')).toBe(0x1e9de8c1);
  });
});

describe('partitionForKey', () => {
  it('is stable and within range', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `order-${i}`);
    const first = keys.map((k) => partitionForKey(k, 16));
    expect(keys.map((k) => partitionForKey(k, 16))).toEqual(first);
    expect(first.every((p) => p >= 0 && p < 16)).toBe(true);
    // 200 keys spread over more than half of the 16 partitions (a broken hash puts them in one).
    expect(new Set(first).size).toBeGreaterThan(8);
  });
});
