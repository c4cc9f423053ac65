import { describe, expect, it } from 'vitest';
import { PartitionStart } from './partition-start.ts';

describe('PartitionStart', () => {
  it('opens a queue only at the offset the assignment starts from', () => {
    const s = new PartitionStart();
    expect(s.admit('t:0', 10n, 10n)).toBe('open');
  });

  it('drops records fetched before the committed offset was read, and records below it', () => {
    const s = new PartitionStart();
    expect(s.admit('t:0', 1593n, undefined)).toBe('drop');
    expect(s.admit('t:0', 9n, 10n)).toBe('drop');
  });

  it('rewinds on records past the start (a fetch answered after a rebalance), then opens at the start', () => {
    const s = new PartitionStart();
    // The stale response: every record of it is past the start.
    expect(s.admit('t:0', 1593n, 1099n)).toBe('rewind');
    expect(s.admit('t:0', 1594n, 1099n)).toBe('rewind');
    // A second stale response (sent before the rewind) must not count as the rewound answer.
    expect(s.admit('t:0', 1600n, 1099n)).toBe('rewind');
    expect(s.admit('t:0', 1099n, 1099n)).toBe('open');
  });

  it('accepts a real gap when the rewound fetch returns the same first offset again', () => {
    const s = new PartitionStart();
    expect(s.admit('t:0', 12n, 10n)).toBe('rewind'); // offsets 10, 11: transaction markers
    expect(s.admit('t:0', 12n, 10n)).toBe('open');
  });

  it('forgets a pending gap when the partition is revoked or its start changes', () => {
    const s = new PartitionStart();
    expect(s.admit('t:0', 12n, 10n)).toBe('rewind');
    s.forget('t:0');
    expect(s.admit('t:0', 12n, 10n)).toBe('rewind');
    expect(s.admit('t:0', 12n, 11n)).toBe('rewind'); // another assignment, another start
    expect(s.admit('t:0', 12n, 11n)).toBe('open');
    expect(s.admit('t:1', 12n, 10n)).toBe('rewind'); // per partition
  });
});
