/**
 * `outrig db` on the system's embedded PostgreSQL (no URL given): the service's own database is
 * created there, `reset` needs no --force, and a server the command started is stopped again.
 */

import path from 'node:path';
import { stopEmbeddedPostgres } from '@outrig/db';
import { freePort } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSystem, outrig } from './support/outrig-bin.ts';

const MIGRATIONS = `export const migrations = [
  { name: 'orders', migrations: [{ id: '0001_orders', sql: 'create table orders (id int primary key)' }] },
];
`;

describe('outrig db on the embedded server', { timeout: 180_000 }, () => {
  let system: Awaited<ReturnType<typeof makeSystem>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    system = await makeSystem(
      { name: 'fixture', services: { 'orders-service': { dir: 'services/orders', port: 18_501 } } },
      { 'services/orders/src/migrations.ts': MIGRATIONS },
    );
    env = { OUTRIG_PG_PORT: String(await freePort()) };
  });
  afterAll(async () => {
    await stopEmbeddedPostgres(path.join(system.root, '.outrig', 'postgres')).catch(() => false);
    await system?.remove();
  });

  it('migrate, url and reset --yes (no --force) work on the service database of the embedded server', async () => {
    const migrated = await outrig(['db', 'migrate', 'orders-service', '--json'], { env, cwd: system.root });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(JSON.parse(migrated.stdout)).toEqual({
      service: 'orders-service',
      database: expect.stringMatching(
        new RegExp(`^postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${env.OUTRIG_PG_PORT}/orders_service$`),
      ),
      applied: [{ set: 'orders', id: '0001_orders' }],
    });

    const url = await outrig(['db', 'url', 'orders-service'], { env, cwd: system.root });
    expect(url.code).toBe(0);
    expect(url.stdout).toBe(`postgres://postgres:outrig@127.0.0.1:${env.OUTRIG_PG_PORT}/orders_service\n`);
    // Nothing ran the server before the command: it says the URL only works while one runs.
    expect(url.stderr).toContain('note: the embedded server was not running');

    const reset = await outrig(['db', 'reset', 'orders-service', '--yes'], { env, cwd: system.root });
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/^orders-service: reset .* \(dropped public\), applied 1 migration\.\n$/);

    // Every command stopped the server it started.
    expect(await stopEmbeddedPostgres(path.join(system.root, '.outrig', 'postgres'))).toBe(false);
  });
});
