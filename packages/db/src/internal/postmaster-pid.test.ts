import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPostmasterOf, readPostmasterPid, removeStalePostmasterPid } from './postmaster-pid.ts';

const pidFile = (pid: number, port = 5488) =>
  `${pid}\n/data\n1700000000\n${port}\n\n127.0.0.1\n  1234   5678\nready   \n`;

describe('postmaster.pid handling', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'outrig-pid-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('parses pid, port and status', async () => {
    await writeFile(path.join(dir, 'postmaster.pid'), pidFile(4242, 6001));
    expect(await readPostmasterPid(dir)).toEqual({ pid: 4242, port: 6001, status: 'ready' });
  });

  it('removes a pid file whose process is gone', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => child.once('exit', r));
    await writeFile(path.join(dir, 'postmaster.pid'), pidFile(child.pid!));
    expect(await removeStalePostmasterPid(dir)).toBe(true);
    expect(await readPostmasterPid(dir)).toBeUndefined();
  });

  it('removes a pid file whose pid now belongs to another program (pid reuse after a crash)', async () => {
    await writeFile(path.join(dir, 'postmaster.pid'), pidFile(process.pid));
    expect(await isPostmasterOf(process.pid, dir)).toBe(false);
    expect(await removeStalePostmasterPid(dir)).toBe(true);
  });

  it.skipIf(process.platform !== 'linux')(
    'keeps the pid file of a live process working in that directory',
    async () => {
      // A postmaster's working directory is its data directory: a process sitting in `dir` stands in.
      const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { cwd: dir });
      try {
        await writeFile(path.join(dir, 'postmaster.pid'), pidFile(child.pid!));
        expect(await removeStalePostmasterPid(dir)).toBe(false);
        expect(await readFile(path.join(dir, 'postmaster.pid'), 'utf8')).toContain(String(child.pid));
      } finally {
        child.kill();
      }
    },
  );
});
