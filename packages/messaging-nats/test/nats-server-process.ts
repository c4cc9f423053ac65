/**
 * A private nats-server (JetStream, file store in a temp dir) for tests that must restart the
 * server: the shared one on 4222 is used by others and must never be restarted. Test-only; not
 * part of the package's API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BINARY = '/usr/sbin/nats-server';
const READY_TIMEOUT_MS = 15_000;

/** True when the nats-server binary is installed; under CI=true a missing binary is an error. */
export function natsServerBinaryAvailable(): boolean {
  const ok = existsSync(BINARY);
  if (!ok && process.env.CI === 'true') throw new Error(`${BINARY} is required under CI=true`);
  return ok;
}

export class NatsServerProcess {
  readonly port: number;
  readonly storeDir: string;
  #child: ChildProcess | undefined;

  private constructor(port: number, storeDir: string) {
    this.port = port;
    this.storeDir = storeDir;
  }

  /** Starts a server on a free loopback port with a fresh store directory. */
  static async start(): Promise<NatsServerProcess> {
    const server = new NatsServerProcess(
      await freePort(),
      await mkdtemp(path.join(tmpdir(), 'outrig-nats-')),
    );
    await server.#spawn();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Kills the server (SIGKILL: a crash, not a clean shutdown) and starts it on the same store. */
  async restart(): Promise<void> {
    await this.#kill();
    await this.#spawn();
  }

  /** Kills the server and removes its store. */
  async dispose(): Promise<void> {
    await this.#kill();
    await rm(this.storeDir, { recursive: true, force: true });
  }

  async #spawn(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    const child = spawn(BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`nats-server not ready:\n${log}`)), READY_TIMEOUT_MS);
      child.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${log}`));
      });
    });
    // Keep reading stderr so the pipe never fills and blocks the server.
    child.stderr?.resume();
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
