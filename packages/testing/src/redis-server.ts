/**
 * A private redis-server (append-only file, fsync on every write, in a temp dir) that a test
 * may SIGKILL and restart, on a free loopback port — the shared server on 6379 belongs to
 * everyone and is never touched. Used by the Redis Streams adapter's conformance and reconnect
 * tests and the reliability suite.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binaryPath } from './binaries.ts';
import { freePort } from './free-port.ts';

const READY_TIMEOUT_MS = 15_000;

/**
 * Whether redis-server is installed. Under `CI=true` a missing binary throws: CI must fail, not
 * skip (`scripts/test-servers.sh` installs it).
 *
 * @example
 * const ok = redisServerInstalled();
 * describe.skipIf(!ok)('restart', () => { … });
 */
export function redisServerInstalled(): boolean {
  const found = binaryPath('redis-server') !== undefined;
  if (!found && process.env.CI === 'true') {
    throw new Error('redis-server is required under CI=true but is not installed (scripts/test-servers.sh)');
  }
  return found;
}

/** A redis-server of the test's own; `url` is `redis://127.0.0.1:<port>`. */
export class RedisServer {
  readonly port: number;
  readonly dataDir: string;
  #child: ChildProcess | undefined;

  private constructor(port: number, dataDir: string) {
    this.port = port;
    this.dataDir = dataDir;
  }

  /** Starts a server on a free loopback port with a fresh data directory. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), await mkdtemp(path.join(tmpdir(), 'outrig-redis-')));
    await server.#spawn();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** SIGKILL: a crash, not a clean shutdown. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts the server again on the same port and data (the append-only file is replayed). */
  async resume(): Promise<void> {
    await this.#spawn();
  }

  /** SIGKILL, then start again. */
  async restart(): Promise<void> {
    await this.kill();
    await this.resume();
  }

  /** Kills the server and removes its data. */
  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Synchronous last resort (process exit). */
  forceKill(): void {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async #spawn(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dataDir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--daemonize',
      'no',
    ];
    const child = spawn(binaryPath('redis-server') ?? 'redis-server', args, {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`redis-server not ready:\n${log}`)), READY_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${log}`));
      });
    });
  }
}
