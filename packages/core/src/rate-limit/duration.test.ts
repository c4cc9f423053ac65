import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['60000', 60_000],
    ['500ms', 500],
    ['30s', 30_000],
    ['30 seconds', 30_000],
    ['1 minute', 60_000],
    ['2m', 120_000],
    ['1.5h', 5_400_000],
    [' 10 S ', 10_000],
  ])('%s → %i ms', (raw, ms) => {
    expect(parseDuration(raw)).toBe(ms);
  });

  it.each(['', 'soon', '-5s', '0', '10 fortnights', '1e3', 's'])('rejects %j', (raw) => {
    expect(parseDuration(raw)).toBeUndefined();
  });
});
