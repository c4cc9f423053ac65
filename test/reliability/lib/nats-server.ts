/**
 * A private nats-server (JetStream, file store in a temp dir) that the suite may SIGKILL and
 * restart: the shared server on 4222 belongs to everyone and is never touched. Adapted from
 * `packages/messaging-nats/test/nats-server-process.ts` (test files are not imported across
 * packages).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export const NATS_SERVER_BINARY = process.env.OUTRIG_NATS_SERVER ?? '/usr/sbin/nats-server';
const READY_TIMEOUT_MS = 15_000;

export function natsServerInstalled(): boolean {
  return existsSync(NATS_SERVER_BINARY);
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
    const server = new NatsServer(await freePort(), await mkdtemp(path.join(tmpdir(), 'outrig-rel-nats-')));
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

/**
 * Deletes the streams named `<prefix>_…`. Needed between scenarios, not only for tidiness: a
 * stream prefix does not namespace subjects, so a second scenario's `rel.events` stream would
 * overlap the first one's subjects and JetStream would refuse to create it.
 */
export async function deleteStreams(url: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: new URL(url).host, maxReconnectAttempts: 5 });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}_`)) names.push(name);
    await Promise.all(names.map((name) => jsm.streams.delete(name)));
  } finally {
    await nc.close();
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
