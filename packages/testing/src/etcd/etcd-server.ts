/**
 * A private etcd server (Debian's etcd 3.4 binary) on free loopback ports with a temporary data
 * directory, for tests that need a real registry: leases expire, watches fire, the server can be
 * SIGKILLed and restarted on the same ports and data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binaryAvailable, binaryPath } from '../binaries.ts';
import { freePort } from '../free-port.ts';

/** The etcd binary: `etcd` on PATH or in the system directories (Debian's `etcd-server` package). */
export const ETCD_BINARY = binaryPath('etcd') ?? 'etcd';
const READY_TIMEOUT_MS = 20_000;

/**
 * Whether the etcd binary is installed. Under `CI=true` a missing binary throws: CI must fail,
 * not skip (`scripts/test-servers.sh` installs it).
 *
 * @example
 * const ok = etcdInstalled();
 * describe.skipIf(!ok)('etcd registry', () => { … });
 */
export function etcdInstalled(): boolean {
  return binaryAvailable('etcd');
}

/**
 * Starts a single-member etcd on free loopback ports.
 *
 * @example
 * const etcd = await startEtcd();
 * afterAll(() => etcd.dispose());
 * const registry = await resolveRegistry(etcd.registryUrl);
 */
export async function startEtcd(): Promise<EtcdServer> {
  const server = new EtcdServer(
    await freePort(),
    await freePort(),
    await mkdtemp(path.join(tmpdir(), 'outrig-etcd-')),
  );
  await server.resume();
  return server;
}

export class EtcdServer {
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  #child: ChildProcess | undefined;

  constructor(clientPort: number, peerPort: number, dataDir: string) {
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.dataDir = dataDir;
  }

  /** The client endpoint, `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  /** The same endpoint as a `REGISTRY_URL`: `etcd://127.0.0.1:<port>`. */
  get registryUrl(): string {
    return `etcd://127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts (again) on the same ports and data; resolves when `/health` says healthy. */
  async resume(): Promise<void> {
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const args = [
      '--name',
      'outrig-test',
      '--data-dir',
      this.dataDir,
      '--listen-client-urls',
      this.url,
      '--advertise-client-urls',
      this.url,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `outrig-test=${peer}`,
    ];
    const child = spawn(ETCD_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000); // keep the tail for error messages
    });
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`etcd exited (${code ?? signal}):\n${log}`)));
    });
    exited.catch(() => {});
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) await exited;
      if (await this.#healthy()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`etcd not healthy within ${READY_TIMEOUT_MS} ms:\n${log}`);
  }

  /** SIGKILL: a crash. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** SIGTERM and wait for the exit. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  /** Kills the server and removes its data. */
  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async #healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      return body.health === 'true';
    } catch {
      return false;
    }
  }
}
