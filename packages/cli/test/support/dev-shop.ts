import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eventually, freePort } from '@outrig/testing';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium package: the only browser the tests use (nothing is downloaded). */
export const CHROMIUM = '/usr/bin/chromium';
const BIN = path.join(import.meta.dirname, '..', '..', 'src', 'bin.ts');
const SHOP = path.join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'shop');

/** The shop under `outrig dev` in a temporary OUTRIG_HOME, every port free, with its dashboard. */
export interface DevShop {
  readonly dashboard: string;
  readonly home: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the shop as `npm start` does (embedded PostgreSQL, postgres transport) and waits for it. */
export async function startDevShop(): Promise<DevShop> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'outrig-dashboard-'));
  await chmod(home, 0o755); // as root the embedded server runs as `postgres`: it must get through
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    OUTRIG_HOME: home,
    OUTRIG_PG_PORT: '0',
    OUTRIG_DASHBOARD_PORT: String(port),
    AUTH_SERVICE_PORT: '0',
    INVENTORY_SERVICE_PORT: '0',
    NOTIFICATION_SERVICE_PORT: '0',
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'info',
  };
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_URL|BUS_URL|REGISTRY_URL|JWT_|AUTH_CLIENT|SHOP_ADMIN_|OTEL_|NODE_ENV$)/.test(name))
      delete env[name];
  }
  let output = '';
  const dev: ChildProcess = spawn(process.execPath, [BIN, 'dev', '--cwd', SHOP, '--start-timeout', '150'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout!.on('data', (d) => (output += d));
  dev.stderr!.on('data', (d) => (output += d));
  const stop = async () => {
    if (dev.exitCode === null) {
      const exited = new Promise((r) => dev.once('exit', r));
      dev.kill('SIGTERM');
      await exited;
    }
    await rm(home, { recursive: true, force: true });
  };
  try {
    await eventually(
      'the shop to start',
      async () => (output.includes('shop is running:') ? true : undefined),
      {
        timeoutMs: 240_000,
        context: () => output.slice(-4000),
      },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { dashboard: `http://127.0.0.1:${port}`, home, output: () => output, stop };
}

/** Headless Chromium from /usr/bin/chromium (throws when it is missing). */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
