import { describe, expect, it } from 'vitest';
import { parseBearer } from './bearer.ts';

describe('parseBearer', () => {
  it('reads the token of a Bearer header, scheme in any case', () => {
    expect(parseBearer('Bearer a.b.c')).toEqual({ kind: 'token', token: 'a.b.c' });
    expect(parseBearer('bearer a-b_c~d+e/f=')).toEqual({ kind: 'token', token: 'a-b_c~d+e/f=' });
  });

  it('treats no header and other schemes as absent credentials', () => {
    for (const h of [undefined, '', 'Basic dTpw', 'Token abc', 'Bearerish abc', 'a.b.c']) {
      expect(parseBearer(h)).toEqual({ kind: 'absent' });
    }
  });

  it('treats an empty or impossible bearer token as malformed', () => {
    for (const h of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer {"alg":"none"}', 'Bearer =abc']) {
      expect(parseBearer(h)).toEqual({ kind: 'malformed' });
    }
  });
});
