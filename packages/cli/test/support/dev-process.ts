import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '@outrig/testing';

const BIN = path.join(import.meta.dirname, '..', '..', 'src', 'bin.ts');
const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'dev-system');
const REPO_MODULES = path.join(import.meta.dirname, '..', '..', '..', '..', 'node_modules');

/** One event line of `outrig dev --json`. */
export type DevLine = { event: string; service?: string; pid?: number; [key: string]: unknown };

/** A copy of the fixture system in a temporary folder (outside the repo, its node_modules linked). */
export async function copyFixture(
  name: string,
  edit?: (json: Record<string, unknown>) => void,
): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'outrig-dev-'));
  await chmod(dir, 0o755); // as root the embedded server runs as `postgres`: it must get through
  await cp(FIXTURE, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.outrig`) });
  await symlink(REPO_MODULES, path.join(dir, 'node_modules'));
  const file = path.join(dir, 'outrig.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  json.name = name;
  edit?.(json);
  await writeFile(file, JSON.stringify(json, null, 2));
  return dir;
}

export async function removeFixture(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A running `outrig dev` (the real bin, a process of its own). */
export class DevProcess {
  readonly child: ChildProcess;
  readonly lines: DevLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], env: Record<string, string | undefined>, cwd: string) {
    // A shared, loaded machine can take a minute to start a small service: allow more by default.
    const timeout = args.includes('--start-timeout') ? [] : ['--start-timeout', '180'];
    this.child = spawn(process.execPath, [BIN, 'dev', ...timeout, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk;
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      // Every line must be JSON under --json: JSON.parse throws (and the test fails) otherwise.
      if (args.includes('--json')) for (const line of parts) this.lines.push(JSON.parse(line) as DevLine);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  events(name: string, service?: string): DevLine[] {
    return this.lines.filter((l) => l.event === name && (service === undefined || l.service === service));
  }

  /** Waits for the `n`th event `name` (of `service`). */
  waitFor(name: string, service?: string, n = 1, timeoutMs = 120_000): Promise<DevLine> {
    return eventually(`${name} ${service ?? ''} #${n}`, async () => this.events(name, service)[n - 1], {
      timeoutMs,
      context: () => `${this.stdout.slice(-3000)}\n${this.stderr.slice(-2000)}`,
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid in `<dataDir>/postmaster.pid`. */
export async function postmasterPid(dataDir: string): Promise<number> {
  return Number.parseInt((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]!, 10);
}
