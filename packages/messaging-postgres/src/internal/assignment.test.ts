import { describe, expect, it } from 'vitest';
import { assignPartitions } from './assignment.ts';

const sixteen = () => 16;

describe('assignPartitions', () => {
  it('gives a lone member every partition of its topics', () => {
    const members = new Map([['a', ['t1', 't2']]]);
    expect(assignPartitions('a', members, ['t1', 't2'], sixteen)).toHaveLength(32);
  });

  it('splits each topic fairly and disjointly, and every member agrees', () => {
    const members = new Map([
      ['c', ['t1']],
      ['a', ['t1']],
      ['b', ['t1']],
    ]);
    const all = ['a', 'b', 'c'].map((m) => assignPartitions(m, members, ['t1'], sixteen));
    const sizes = all.map((a) => a.length).sort();
    expect(sizes).toEqual([5, 5, 6]);
    const owned = all.flat().map((r) => r.partition);
    expect(new Set(owned).size).toBe(16);
  });

  it('only counts members subscribed to the topic', () => {
    const members = new Map([
      ['a', ['t1', 't2']],
      ['b', ['t2']],
    ]);
    expect(
      assignPartitions('a', members, ['t1', 't2'], sixteen).filter((r) => r.topic === 't1'),
    ).toHaveLength(16);
    expect(assignPartitions('b', members, ['t2'], sixteen)).toHaveLength(8);
  });

  it('skips topics whose partition count is unknown', () => {
    expect(assignPartitions('a', new Map([['a', ['t']]]), ['t'], () => undefined)).toEqual([]);
  });
});
