/**
 * Runs a real Prometheus server (the `prometheus` binary, e.g. Debian's package) on a free
 * loopback port with a throwaway TSDB, and queries its HTTP API. The ops tests use it to check
 * that the shop is scraped and that every dashboard query parses; you can use it to try a config.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@outrig/testing';

/** One series of an instant query (`/api/v1/query`, result type vector). */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** The parsed `/api/v1/query` answer; `error` is set for a bad expression (HTTP 400). */
export interface PromQueryResult {
  readonly status: 'success' | 'error';
  readonly errorType?: string;
  readonly error?: string;
  readonly data?: { readonly resultType: string; readonly result: PromSample[] };
}

export interface PrometheusProcess {
  readonly url: string;
  /** Instant query at the current time. */
  query(expr: string): Promise<PromQueryResult>;
  /** GET any API path (`/api/v1/rules`, `/api/v1/targets`, …) and parse its JSON. */
  api<T = unknown>(pathAndQuery: string): Promise<T>;
  /** What the server printed so far (for failure messages). */
  log(): string;
  /** SIGTERM, wait for the exit, remove the TSDB directory. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** The prometheus.yml to load (relative paths in it resolve against its folder). */
  readonly configFile: string;
  /** The binary. Default `prometheus` on PATH. */
  readonly binary?: string;
  /** How long to wait for `/-/ready`. Default 30 s. */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts Prometheus and resolves once `/-/ready` answers 200.
 *
 * @example
 * const prom = await startPrometheus({ configFile: 'examples/shop/ops/prometheus/prometheus.yml' });
 * const { data } = await prom.query('up');
 * await prom.stop();
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusProcess> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'outrig-prometheus-'));
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    options.binary ?? 'prometheus',
    [
      `--config.file=${options.configFile}`,
      `--storage.tsdb.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (!spawnError && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, () => spawnError, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw new Error(`prometheus did not become ready: ${(error as Error).message}\n${output}`);
  }
  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const res = await fetch(`${url}${pathAndQuery}`);
    return (await res.json()) as T;
  };
  return {
    url,
    api,
    query: (expr) => api<PromQueryResult>(`/api/v1/query?query=${encodeURIComponent(expr)}`),
    log: () => output,
    stop,
  };
}

async function waitReady(
  url: string,
  child: ChildProcess,
  spawnError: () => Error | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const error = spawnError();
    if (error) throw error;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    }
    const ok = await fetch(`${url}/-/ready`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no answer on ${url}/-/ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
