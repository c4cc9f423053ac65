/**
 * A private nats-server (JetStream, file store in a temp dir) that a test may SIGKILL and
 * restart, on a free loopback port — the shared server on 4222 belongs to everyone and is never
 * touched. Used by the NATS adapter's conformance and reconnect tests and the reliability suite.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { PrivateServer, type ServerCommand } from './private-server.ts';

export const NATS_SERVER_BINARY = process.env.OUTRIG_NATS_SERVER ?? '/usr/sbin/nats-server';

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

/** A JetStream nats-server of the test's own; `url` is `nats://127.0.0.1:<port>`. */
export class NatsServer extends PrivateServer {
  private constructor(port: number, storeDir: string) {
    super(port, storeDir);
  }

  /** Starts a server on a free loopback port with a fresh store directory. */
  static async start(): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), await mkdtemp(path.join(tmpdir(), 'outrig-nats-')));
    await server.spawnServer();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Its JetStream file store (messages on disk survive `restart()`). */
  get storeDir(): string {
    return this.folder;
  }

  protected command(): ServerCommand {
    return {
      name: 'nats-server',
      binary: NATS_SERVER_BINARY,
      args: ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.folder],
      stream: 'stderr',
      ready: 'Server is ready',
    };
  }
}
