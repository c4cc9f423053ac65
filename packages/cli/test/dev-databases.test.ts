/**
 * A database per service when `outrig dev` runs on real servers (docs/architecture/0010),
 * against the PostgreSQL server of the tests (5432): `DATABASE_URL` is a server on which each
 * service gets `<system>_<service>`, `<SERVICE>_DATABASE_URL` (or `DATABASE_URL_<SERVICE>`) wins,
 * and a role that may not create databases gets CLI_DEV_DATABASE_FAILED naming the variable.
 * The last test runs the real `outrig dev` on the fixture system with DATABASE_URL set.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createPgClient } from '@outrig/db';
import { createTestDatabase, freePort, serverAvailable, testServers } from '@outrig/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareDatabases } from '../src/dev/dev-databases.ts';
import { parseSystem } from '../src/system/system-file.ts';
import { copyFixture, DevProcess, removeFixture } from './support/dev-process.ts';

const ok = await serverAvailable('postgres');

const suffix = randomBytes(3).toString('hex');
const name = `devdb-${suffix}`;
const db = (service: string) => `devdb_${suffix}_${service.replace(/-/g, '_')}`;
const system = parseSystem(
  {
    name,
    services: {
      'order-service': { dir: 'services/order', port: 1 },
      'stock-service': { dir: 'services/stock', port: 2 },
      gateway: { dir: 'services/gateway', port: 3, kind: 'gateway' },
    },
  },
  '/nowhere',
);
const service = (n: string) => system.services.find((s) => s.name === n)!;
const admin = () => createPgClient({ url: testServers.postgres, max: 1 });

async function dropAll(): Promise<void> {
  const sql = admin();
  try {
    const rows = await sql.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`devdb_${suffix}%`],
    );
    for (const { datname } of rows.rows) await sql.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await sql.query(`DROP ROLE IF EXISTS "devdb_${suffix}_nocreate"`);
  } finally {
    await sql.close();
  }
}

describe.skipIf(!ok)('outrig dev databases on a real server (PostgreSQL on 5432)', () => {
  afterAll(dropAll);

  it('DATABASE_URL is a server: every service gets <system>_<service>, the bus <system>_bus', async () => {
    const dbs = await prepareDatabases(system, system.services, '/nowhere', {
      DATABASE_URL: testServers.postgres,
    });
    const order = await dbs.envFor(service('order-service'));
    const stock = await dbs.envFor(service('stock-service'));
    expect(new URL(order.DATABASE_URL!).pathname).toBe(`/${db('order-service')}`);
    expect(new URL(stock.DATABASE_URL!).pathname).toBe(`/${db('stock-service')}`);
    expect(new URL(order.BUS_URL!).pathname).toBe(`/${db('bus')}`);
    expect(stock.BUS_URL).toBe(order.BUS_URL);
    expect(await dbs.envFor(service('gateway'))).toEqual({});
    expect(dbs.embedded(service('order-service'))).toBe(false);
    // They exist, and a second run finds them.
    for (const url of [order.DATABASE_URL!, stock.DATABASE_URL!, order.BUS_URL!]) {
      const sql = createPgClient({ url, max: 1 });
      await sql.query('select 1');
      await sql.close();
    }
    const again = await prepareDatabases(system, system.services, '/nowhere', {
      DATABASE_URL: testServers.postgres,
    });
    expect((await again.envFor(service('order-service'))).DATABASE_URL).toBe(order.DATABASE_URL);
  });

  it("<SERVICE>_DATABASE_URL, or DATABASE_URL_<SERVICE>, is that service's own database, used as is", async () => {
    const own = await createTestDatabase('devdb_own');
    try {
      const dbs = await prepareDatabases(system, system.services, '/nowhere', {
        DATABASE_URL: testServers.postgres,
        ORDER_SERVICE_DATABASE_URL: own.url,
        DATABASE_URL_STOCK_SERVICE: `${own.url}?application_name=alias`,
      });
      const order = await dbs.envFor(service('order-service'));
      expect(order.DATABASE_URL).toBe(own.url);
      expect(new URL(order.BUS_URL!).pathname).toBe(`/${db('bus')}`); // one bus for the system
      expect((await dbs.envFor(service('stock-service'))).DATABASE_URL).toBe(
        `${own.url}?application_name=alias`,
      );
    } finally {
      await own.drop();
    }
  });

  it('a role that may not create databases: CLI_DEV_DATABASE_FAILED naming the database and the variable', async () => {
    const role = `devdb_${suffix}_nocreate`;
    const sql = admin();
    await sql.query(`CREATE ROLE "${role}" LOGIN NOCREATEDB`);
    await sql.close();
    const url = new URL(testServers.postgres);
    url.username = role;
    const lone = parseSystem(
      { name: `${name}-lone`, services: { 'stock-service': { dir: 's', port: 1 } } },
      '/x',
    );
    const dbs = await prepareDatabases(lone, lone.services, '/nowhere', {
      DATABASE_URL: url.toString(),
      BUS_URL: 'memory:',
    });
    const err = await dbs.envFor(lone.services[0]!).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CLI_DEV_DATABASE_FAILED' });
    expect((err as Error).message).toContain(`devdb_${suffix}_lone_stock_service`);
    expect((err as Error).message).toContain('STOCK_SERVICE_DATABASE_URL');
  });

  it('the real outrig dev with DATABASE_URL: the service runs on <system>_<service>, no embedded server', async () => {
    const dir = await copyFixture(`devdb-${suffix}`);
    const keeperPort = await freePort();
    const dev = new DevProcess(
      ['--json', '--only', 'keeper'],
      { DATABASE_URL: testServers.postgres, KEEPER_PORT: String(keeperPort), LOG_LEVEL: 'warn' },
      dir,
    );
    try {
      expect(await dev.waitFor('database', undefined, 1, 60_000)).toMatchObject({ source: 'server' });
      await dev.waitFor('running', undefined, 1, 120_000);
      const res = await fetch(`http://127.0.0.1:${keeperPort}/api/v1/where`);
      const where = ((await res.json()) as { data: { database: string; bus: string } }).data;
      expect(where.database).toBe(db('keeper'));
      expect(new URL(where.bus).pathname).toBe(`/${db('bus')}`);
      expect(await dev.stop()).toBe(0);
      expect(existsSync(path.join(dir, '.outrig', 'postgres')), 'no embedded server was started').toBe(false);
    } finally {
      await dev.stop('SIGKILL');
      await removeFixture(dir);
    }
  }, 180_000);
});
