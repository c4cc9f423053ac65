import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'src', 'bin.ts');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment a user's shell would have: this process's, without what npm, Vitest and CI add
 * (CI would turn prompts off; npm_config_* would leak this repository's settings).
 */
function userEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        e[1] !== undefined && !/^(npm_|VITEST|CI$|DATABASE_URL$|BUS_URL$|REGISTRY_URL$|OUTRIG_)/.test(e[0]),
    ),
  );
}

/**
 * Runs `command args` in `cwd` with `env` added to a user's environment (no CI unless given) and stdin at /dev/null; resolves when it exits (killed after `timeoutMs`).
 */
export function exec(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...userEnv(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a timeout kills npm's children too.
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The real `outrig` bin, as a user runs it. */
export function outrig(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Result> {
  return exec(process.execPath, [BIN, ...args], { cwd, env, timeoutMs: 600_000 });
}

/** `npm <args>` in `cwd`; the output is shown when it fails (a failing expect names the command). */
export function npm(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Result> {
  return exec('npm', args, { cwd, env, timeoutMs: 300_000 });
}
