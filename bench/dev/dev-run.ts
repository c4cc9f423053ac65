import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const BIN = path.join(import.meta.dirname, '..', '..', 'packages', 'cli', 'src', 'bin.ts');
const ERRORS_FILE = 'services/inventory-service/src/errors.ts';
const MESSAGE = "'Product {id} not found'";
/** Pause after `running` and between edits (see measureReload). */
export const SETTLE_MS = 3000;

/** A running `outrig dev --json` on the shop copy. */
export interface DevRun {
  readonly readyMs: number;
  readonly ports: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/** Starts `outrig dev --json` in `dir` on free ports; resolves once it reports `running`. */
export async function startDev(
  dir: string,
  extraArgs: readonly string[] = [],
  timeoutMs = 300_000,
): Promise<DevRun> {
  const system = JSON.parse(await readFile(path.join(dir, 'outrig.json'), 'utf8')) as {
    services: Record<string, unknown>;
  };
  const ports: Record<string, number> = {};
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    OUTRIG_PG_PORT: '0',
    LOG_LEVEL: 'warn',
  };
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_URL|BUS_URL|REGISTRY_URL|JWT_|AUTH_CLIENT|SHOP_ADMIN_|OUTRIG_HOME$)/.test(name))
      delete env[name];
  }
  for (const name of Object.keys(system.services)) {
    ports[name] = await freePort();
    env[`${name.toUpperCase().replace(/-/g, '_')}_PORT`] = String(ports[name]);
  }
  const began = performance.now();
  const child = spawn(process.execPath, [BIN, 'dev', '--json', '--start-timeout', '300', ...extraArgs], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const readyMs = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`outrig dev not running after ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if ((JSON.parse(line) as { event: string }).event === 'running') {
          clearTimeout(timer);
          resolve(Math.round(performance.now() - began));
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`outrig dev exited with ${code}: ${stderr}`)));
  });
  return { readyMs, ports, stop: () => stop(child) };
}

/**
 * Edits inventory-service's PRODUCT_NOT_FOUND message (edit `n`), then asks for a product that
 * does not exist until the answer carries the new message: milliseconds from the save.
 */
export async function measureReload(
  dev: DevRun,
  dir: string,
  n: number,
  timeoutMs = 120_000,
): Promise<number> {
  const file = path.join(dir, ERRORS_FILE);
  const original = await readFile(file, 'utf8');
  if (!original.includes(MESSAGE))
    throw new Error(`${ERRORS_FILE} no longer has ${MESSAGE}: update the dev bench`);
  const marker = `(edit ${n})`;
  const url = `http://127.0.0.1:${dev.ports['inventory-service']}/api/v2/products/${randomUUID()}`;
  const began = performance.now();
  await writeFile(file, original.replace(MESSAGE, `'Product {id} not found ${marker}'`));
  try {
    while (performance.now() - began < timeoutMs) {
      try {
        const res = await fetch(url);
        if ((await res.text()).includes(marker)) return Math.round(performance.now() - began);
      } catch {}
      await sleep(10);
    }
    throw new Error(`no answer with ${marker} within ${timeoutMs} ms`);
  } finally {
    await writeFile(file, original);
    // Saves come seconds apart, as a person makes them: the restore's reload passes and the
    // service's next warm standby (outrig dev keeps one per service) has loaded.
    await sleep(SETTLE_MS);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
