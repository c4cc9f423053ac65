import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureEmbeddedPostgres, stopEmbeddedPostgres } from '@outrig/db';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFileVariables } from '../src/deploy/deploy-env.ts';
import { buildDeployModel, type DeployModel } from '../src/deploy/deploy-model.ts';
import { renderCompose } from '../src/deploy/render-compose.ts';
import { loadSystem } from '../src/system/system-file.ts';

// The compose project's PostgreSQL init script, run as the postgres image runs it (psql as the
// superuser, the passwords from the env file) against a private PostgreSQL server: every
// service's role reaches its own database and is refused another's; the bus role reaches the bus.

const exec = promisify(execFile);
const SHOP = path.resolve(import.meta.dirname, '../../../examples/shop');

let home: string;
let dataDir: string;
let adminUrl: string;
let model: DeployModel;
let psql = true;

beforeAll(async () => {
  psql = await exec('psql', ['--version']).then(
    () => true,
    () => false,
  );
  if (!psql) {
    if (process.env.CI) throw new Error('psql is not installed (apt-get install postgresql-client)');
    return;
  }
  home = await mkdtemp(path.join(os.tmpdir(), 'outrig-compose-init-'));
  await chmod(home, 0o755); // as root, the postgres user must get through
  dataDir = path.join(home, 'postgres');
  adminUrl = (await ensureEmbeddedPostgres({ dataDir, port: 0 })).adminUrl;
  model = await buildDeployModel(await loadSystem(SHOP));
}, 120_000);

afterAll(async () => {
  if (dataDir) await stopEmbeddedPostgres(dataDir).catch(() => false);
  if (home) await rm(home, { recursive: true, force: true });
});

async function canConnect(url: URL): Promise<string> {
  const client = new pg.Client({ connectionString: url.href });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('compose: postgres/10-databases.sh', () => {
  it('makes a role and database per service (and the bus); each role reaches only its own', async (ctx) => {
    if (!psql) ctx.skip();
    const script = path.join(home, '10-databases.sh');
    await writeFile(
      script,
      renderCompose(model, path.join(SHOP, 'deploy'))['postgres/10-databases.sh'] as string,
    );
    const admin = new URL(adminUrl);
    const passwords = Object.fromEntries(
      envFileVariables(model).map(([name], i) => [name, `pw-${i}-${name.length}`]),
    );
    await exec('bash', [script], {
      env: {
        PATH: process.env.PATH,
        PGHOST: admin.hostname,
        PGPORT: admin.port,
        PGPASSWORD: decodeURIComponent(admin.password),
        PGDATABASE: 'postgres',
        ...passwords,
      },
    });
    const url = (role: string, password: string, database: string) => {
      const u = new URL(adminUrl);
      u.username = role;
      u.password = password;
      u.pathname = `/${database}`;
      return u;
    };
    const stateful = model.services.filter((s) => s.database);
    expect(stateful.length).toBeGreaterThan(1);
    for (const s of stateful) {
      const role = s.name.replace(/-/g, '_');
      const password = passwords[`${s.name.toUpperCase().replace(/-/g, '_')}_DB_PASSWORD`] as string;
      const own = `shop_${role}`;
      expect(await canConnect(url(role, password, own)), `${role} → ${own}`).toBe('ok');
      const other = stateful.find((o) => o !== s) as (typeof stateful)[number];
      const theirs = `shop_${other.name.replace(/-/g, '_')}`;
      expect(await canConnect(url(role, password, theirs)), `${role} → ${theirs}`).toMatch(
        /permission denied/,
      );
    }
    expect(await canConnect(url('outrig_bus', passwords.BUS_DB_PASSWORD as string, 'shop_bus'))).toBe('ok');
    expect(
      await canConnect(url('outrig_bus', passwords.BUS_DB_PASSWORD as string, 'shop_inventory_service')),
    ).toMatch(/permission denied/);
  }, 120_000);
});
