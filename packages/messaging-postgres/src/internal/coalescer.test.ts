import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalescer.ts';

describe('Coalescer', () => {
  it('runs one job at a time and serves every request made meanwhile with one more run', async () => {
    let runs = 0;
    let active = 0;
    let maxActive = 0;
    const c = new Coalescer(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 5));
      runs++;
      active--;
    });
    const first = c.run();
    const waiting = [c.run(), c.run(), c.run()];
    await first;
    expect(runs).toBe(1);
    await Promise.all(waiting);
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
  });

  it('resolves even when the job fails', async () => {
    const c = new Coalescer(() => Promise.reject(new Error('boom')));
    await expect(c.run()).resolves.toBeUndefined();
  });
});
