/**
 * A private RabbitMQ node (its own node name, AMQP and distribution ports, data directory) that
 * a test may SIGKILL and restart — the shared server on 5672 belongs to everyone and is never
 * touched. Boots in 10–30 s; used by the RabbitMQ adapter's conformance and reconnect tests and
 * the reliability suite.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';

/**
 * The start script itself (Debian's `/usr/sbin/rabbitmq-server` wrapper switches to the
 * `rabbitmq` user, which cannot write a test's temp directory).
 */
export const RABBITMQ_SERVER_BINARY =
  process.env.OUTRIG_RABBITMQ_SERVER ?? '/usr/lib/rabbitmq/bin/rabbitmq-server';
const READY_TIMEOUT_MS = 120_000;

/**
 * Whether rabbitmq-server is installed. Under `CI=true` a missing binary throws: CI must fail,
 * not skip (`scripts/test-servers.sh` installs it).
 *
 * @example
 * const ok = rabbitMqServerInstalled();
 * describe.skipIf(!ok)('reconnect', () => { … });
 */
export function rabbitMqServerInstalled(): boolean {
  const found = existsSync(RABBITMQ_SERVER_BINARY);
  if (!found && process.env.CI === 'true') {
    throw new Error(`rabbitmq-server is required under CI=true but ${RABBITMQ_SERVER_BINARY} is missing`);
  }
  return found;
}

/** A RabbitMQ node of the test's own; `url` is `amqp://guest:guest@127.0.0.1:<port>`. */
export class RabbitMqServer {
  readonly port: number;
  readonly distPort: number;
  readonly dataDir: string;
  #child: ChildProcess | undefined;

  private constructor(port: number, distPort: number, dataDir: string) {
    this.port = port;
    this.distPort = distPort;
    this.dataDir = dataDir;
  }

  /** Starts a node on free loopback ports with a fresh data directory. */
  static async start(): Promise<RabbitMqServer> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'outrig-rabbitmq-'));
    await writeFile(path.join(dataDir, 'enabled_plugins'), '[].\n');
    const server = new RabbitMqServer(await freePort(), await freePort(), dataDir);
    await server.#spawn();
    return server;
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** SIGKILL of the node's whole process group: a crash, not a clean shutdown. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
    await waitPort(this.port, false, 10_000);
  }

  /**
   * SIGTERM: a clean shutdown (the node closes connections, syncs its state and exits);
   * SIGKILL if it is still running after 30 s.
   */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const group = child.pid;
    try {
      process.kill(-group, 'SIGTERM');
    } catch {}
    const deadline = Date.now() + 30_000;
    while (groupAlive(group) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    if (groupAlive(group)) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {}
    }
    await waitPort(this.port, false, 10_000);
  }

  /** Starts the node again on the same ports and data (quorum queues recover from disk). */
  async resume(): Promise<void> {
    await this.#spawn();
  }

  /**
   * Stops the node and starts it again. Clean by default: on RabbitMQ 3.10.8 a SIGKILL can lose
   * quorum queues declared in the minutes before it (Ra's server directory is a DETS table saved
   * every few minutes; such a queue comes back empty and without a leader — seen here), so the
   * suites restart cleanly unless a test asks for `{ crash: true }`.
   */
  async restart(options: { crash?: boolean } = {}): Promise<void> {
    if (options.crash) await this.kill();
    else await this.stop();
    await this.resume();
  }

  /** Kills the node and removes its data. */
  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Synchronous last resort (process exit). */
  forceKill(): void {
    const child = this.#child;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
  }

  async #spawn(): Promise<void> {
    const d = this.dataDir;
    const env = {
      ...process.env,
      HOME: d, // its own Erlang cookie
      RABBITMQ_NODENAME: `outrig${this.port}@localhost`,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: path.join(d, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(d, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(d, 'enabled_plugins'),
      RABBITMQ_PLUGINS_EXPAND_DIR: path.join(d, 'plugins-expand'),
      RABBITMQ_CONFIG_FILE: path.join(d, 'rabbitmq'),
      RABBITMQ_ADVANCED_CONFIG_FILE: path.join(d, 'advanced.config'),
      RABBITMQ_PID_FILE: path.join(d, 'rabbitmq.pid'),
      ERL_CRASH_DUMP: path.join(d, 'erl_crash.dump'),
    };
    // Its own process group, so kill() reaches the Erlang VM behind the start script.
    const child = spawn(RABBITMQ_SERVER_BINARY, [], {
      env,
      cwd: d,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child = child;
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`rabbitmq-server exited with ${code}:\n${log}`))),
    );
    exited.catch(() => {});
    await Promise.race([waitPort(this.port, true, READY_TIMEOUT_MS), exited]);
  }
}

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitPort(port: number, open: boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await canConnect(port)) !== open) {
    if (Date.now() > deadline)
      throw new Error(`port ${port} did not ${open ? 'open' : 'close'} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
