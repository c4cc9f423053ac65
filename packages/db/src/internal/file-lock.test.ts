import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from './file-lock.ts';

describe('withFileLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'outrig-lock-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('runs holders one at a time', async () => {
    const lock = path.join(dir, 'x.lock');
    const events: string[] = [];
    const holder = (name: string) =>
      withFileLock(
        lock,
        5000,
        () => new Error('timeout'),
        async () => {
          events.push(`${name} in`);
          await sleep(50);
          events.push(`${name} out`);
        },
      );
    await Promise.all([holder('a'), holder('b')]);
    expect([
      ['a in', 'a out', 'b in', 'b out'],
      ['b in', 'b out', 'a in', 'a out'],
    ]).toContainEqual(events);
  });

  it('takes over a lock whose holder died', async () => {
    const lock = path.join(dir, 'x.lock');
    await writeFile(lock, '999999999\n'); // no such pid
    await expect(
      withFileLock(
        lock,
        1000,
        () => new Error('timeout'),
        async () => 'ran',
      ),
    ).resolves.toBe('ran');
  });

  it('gives up after the timeout while a live holder keeps it', async () => {
    const lock = path.join(dir, 'x.lock');
    await writeFile(lock, `${process.pid}\n`);
    await expect(
      withFileLock(
        lock,
        200,
        () => new Error('lock busy'),
        async () => 'ran',
      ),
    ).rejects.toThrow('lock busy');
  });
});
