import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@outrig/testing';

export { freePort };

/** How to start a server under test. */
export interface ServerProcessOptions {
  /** Script run with this very Node binary (`process.execPath`). */
  script: string;
  /** Extra environment; `PORT` and `SERVICE_PORT` are set to a free port. */
  env?: Record<string, string>;
  /** Node flags put before the script (e.g. `--cpu-prof`). */
  nodeArgs?: readonly string[];
  /** Path polled until it answers 200. Default `/health`. */
  readyPath?: string;
  /** Where the server's stdout (its logs) goes: `/dev/null` (default) or a file appended to. */
  stdoutTo?: string;
  /** Give up waiting for readiness after this long. Default 20 000 ms. */
  readyTimeoutMs?: number;
}

/** A server running in its own process. */
export interface ServerProcess {
  readonly pid: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Milliseconds from `spawn()` to the first 200 on `readyPath`. */
  readonly readyMs: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (or signal name). */
  stop(graceMs?: number): Promise<number | string | null>;
}

/**
 * Spawns a server as a separate process (so it never shares an event loop with the load
 * generator), waits until `readyPath` answers 200, and measures how long that took.
 *
 * @example
 * const server = await startServer({ script: 'bench/servers/bare-server.ts', readyPath: '/health' });
 * // … load server.url …
 * await server.stop();
 */
export async function startServer(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const stdoutFd = openSync(options.stdoutTo ?? '/dev/null', 'a');
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
    env: { ...process.env, ...options.env, PORT: String(port), SERVICE_PORT: String(port) },
    stdio: ['ignore', stdoutFd, 'pipe'],
  });
  closeSync(stdoutFd);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal));
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(
      child,
      exited,
      `${url}${options.readyPath ?? '/health'}`,
      options.readyTimeoutMs ?? 20_000,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${options.script} did not start: ${(err as Error).message}\n${stderr}`);
  }
  const readyMs = performance.now() - started;
  return {
    pid: child.pid!,
    url,
    readyMs,
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

async function waitReady(
  child: ChildProcess,
  exited: Promise<number | string | null>,
  url: string,
  timeoutMs: number,
): Promise<void> {
  let done = false;
  const deadline = performance.now() + timeoutMs;
  const died = exited.then((code) => {
    if (!done) throw new Error(`exited with ${code} before answering`);
  });
  const poll = (async () => {
    while (!done && performance.now() < deadline) {
      if ((await statusOf(url)) === 200) return;
      // Short interval: cold start is measured to this resolution.
      await sleep(2);
    }
    if (!done) throw new Error(`no 200 from ${url} within ${timeoutMs} ms (pid ${child.pid})`);
  })();
  try {
    await Promise.race([poll, died]);
  } finally {
    done = true;
  }
}

function statusOf(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
    req.end();
  });
}
