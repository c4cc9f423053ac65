/**
 * A private nats-server (JetStream, file store in a temp dir) that a test may SIGKILL and
 * restart, on a free loopback port — the shared server on 4222 belongs to everyone and is never
 * touched. Used by the NATS adapter's conformance and reconnect tests and the reliability suite.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';

export const NATS_SERVER_BINARY = process.env.OUTRIG_NATS_SERVER ?? '/usr/sbin/nats-server';
const READY_TIMEOUT_MS = 15_000;

/**
 * Whether the nats-server binary is installed. Under `CI=true` a missing binary throws: CI must
 * fail, not skip (`scripts/test-servers.sh` installs it).
 *
 * @example
 * const ok = natsServerInstalled();
 * describe.skipIf(!ok)('reconnect', () => { … });
 */
export function natsServerInstalled(): boolean {
  const found = existsSync(NATS_SERVER_BINARY);
  if (!found && process.env.CI === 'true') {
    throw new Error(`nats-server is required under CI=true but ${NATS_SERVER_BINARY} is missing`);
  }
  return found;
}

export class NatsServer {
  readonly port: number;
  readonly storeDir: string;
  #child: ChildProcess | undefined;

  private constructor(port: number, storeDir: string) {
    this.port = port;
    this.storeDir = storeDir;
  }

  /** Starts a server on a free loopback port with a fresh store directory. */
  static async start(): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), await mkdtemp(path.join(tmpdir(), 'outrig-nats-')));
    await server.#spawn();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
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

  /** Starts the server again on the same port and store. */
  async resume(): Promise<void> {
    await this.#spawn();
  }

  /** SIGKILL, then start again on the same port and store (messages on disk survive). */
  async restart(): Promise<void> {
    await this.kill();
    await this.resume();
  }

  /** Kills the server and removes its store. */
  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.storeDir, { recursive: true, force: true });
  }

  /** Synchronous last resort (process exit). */
  forceKill(): void {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async #spawn(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    const child = spawn(NATS_SERVER_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`nats-server not ready:\n${log}`)), READY_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server is ready')) {
          clearTimeout(timer);
          child.stderr?.off('data', onData);
          child.stderr?.resume(); // keep draining so the pipe never blocks the server
          resolve();
        }
      };
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${log}`));
      });
    });
  }
}
