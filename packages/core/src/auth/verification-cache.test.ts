import { describe, expect, it } from 'vitest';
import { principalFromClaims } from './principal.ts';
import { VerificationCache } from './verification-cache.ts';

const principal = (sub: string) => principalFromClaims({ sub, exp: 0 }, `token-${sub}`);

describe('VerificationCache', () => {
  it('never returns a token past its exp', () => {
    const cache = new VerificationCache(60_000, 10);
    cache.set('expired', principal('a'), Date.now() - 1);
    cache.set('valid', principal('b'), Date.now() + 60_000);
    expect(cache.get('expired')).toBeUndefined();
    expect(cache.get('valid')?.subject).toBe('b');
  });

  it('evicts the oldest entry when full, and stores nothing with ttl 0', () => {
    const cache = new VerificationCache(60_000, 2);
    const later = Date.now() + 60_000;
    cache.set('1', principal('1'), later);
    cache.set('2', principal('2'), later);
    cache.set('3', principal('3'), later);
    expect([cache.get('1'), cache.get('2')?.subject, cache.get('3')?.subject]).toEqual([undefined, '2', '3']);
    const off = new VerificationCache(0, 10);
    off.set('1', principal('1'), later);
    expect(off.get('1')).toBeUndefined();
  });
});
