/** Runs the real `outrig` bin as a user would, and builds throwaway systems (outrig.json + services). */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const BIN = path.join(import.meta.dirname, '..', '..', 'src', 'bin.ts');
const REPO = path.join(import.meta.dirname, '..', '..', '..', '..');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The bin with only the given environment (PATH kept unless given), in `cwd`. */
export function outrig(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { PATH: process.env.PATH ?? '', ...options.env },
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** A long-running bin (`events tail`): its output so far, and a way to wait for text in it. */
export interface Running {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  waitFor(
    stream: 'stdout' | 'stderr',
    predicate: (text: string) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  exited: Promise<number | null>;
}

export function startOutrig(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running: Running = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    async waitFor(stream, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(running[stream])) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(
            `timed out waiting on ${stream}; stdout: ${running.stdout}; stderr: ${running.stderr}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
  child.stdout.on('data', (c: Buffer) => {
    running.stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    running.stderr += c.toString();
  });
  return running;
}

/** A temporary system: a folder with outrig.json and the given files; node_modules links the repo's. */
export async function makeSystem(
  outrigJson: unknown,
  files: Record<string, string> = {},
): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'outrig-cli-system-'));
  await chmod(root, 0o755); // the embedded server runs as the postgres user when we are root
  await symlink(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
  await writeFile(path.join(root, 'outrig.json'), `${JSON.stringify(outrigJson, null, 2)}\n`);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}
