/**
 * A private redis-server (append-only file, fsync on every write, in a temp dir) that a test
 * may SIGKILL and restart, on a free loopback port — the shared server on 6379 belongs to
 * everyone and is never touched. Used by the Redis Streams adapter's conformance and reconnect
 * tests and the reliability suite.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binaryPath } from './binaries.ts';
import { freePort } from './free-port.ts';
import { PrivateServer, type ServerCommand } from './private-server.ts';

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
export class RedisServer extends PrivateServer {
  private constructor(port: number, dataDir: string) {
    super(port, dataDir);
  }

  /** Starts a server on a free loopback port with a fresh data directory. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), await mkdtemp(path.join(tmpdir(), 'outrig-redis-')));
    await server.spawnServer();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Its data folder (the append-only file, replayed by `resume()`). */
  get dataDir(): string {
    return this.folder;
  }

  protected command(): ServerCommand {
    return {
      name: 'redis-server',
      binary: binaryPath('redis-server') ?? 'redis-server',
      args: [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.folder,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--daemonize',
        'no',
      ],
      stream: 'stdout',
      ready: 'Ready to accept connections',
    };
  }
}
