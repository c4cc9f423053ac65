/**
 * `outrig db` on the system's embedded PostgreSQL (no URL given): the service's own database is
 * created there, `reset` needs no --force, and a server the command started is stopped again.
 * Then `outrig events tail` on the system's embedded bus (the outrig_bus database there).
 */

import path from 'node:path';
import { ensureDatabase, ensureEmbeddedPostgres, stopEmbeddedPostgres } from '@outrig/db';
import { createPostgresBroker } from '@outrig/messaging-postgres';
import { freePort } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSystem, outrig, startOutrig } from './support/outrig-bin.ts';

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

  it('events tail with no BUS_URL reads the embedded bus of a running system, and leaves the server running', async () => {
    // The system runs (as `outrig dev` runs it): its server, with the outrig_bus database.
    const server = await ensureEmbeddedPostgres({
      dataDir: path.join(system.root, '.outrig', 'postgres'),
      port: Number(env.OUTRIG_PG_PORT),
    });
    const { url } = await ensureDatabase(server.adminUrl, 'outrig_bus');
    const broker = createPostgresBroker({ url, cleanupIntervalMs: 0 });
    try {
      await broker.publish([{ topic: 'order.events', key: 'o1', event: ev('before') }]);
      const tail = startOutrig(['events', 'tail', 'order.events'], { env, cwd: system.root });
      await tail.waitFor(
        'stderr',
        (t) => t.includes('Tailing order.events on postgres://postgres:***@127.0.0.1:'),
        60_000,
      );
      const e = ev('after');
      await broker.publish([{ topic: 'order.events', key: 'o1', event: e }]);
      await tail.waitFor('stdout', (t) => t.includes('\n'));
      tail.child.kill('SIGINT');
      expect(await tail.exited).toBe(0);
      expect(tail.stdout).toBe(`${e.time} order.events order.placed key=o1 id=${e.id} {"step":"after"}\n`);
      // The server was running before: the command left it running (this connects to it).
      expect((await ensureDatabase(server.adminUrl, 'outrig_bus')).created).toBe(false);
    } finally {
      await broker.close();
      await server.stop();
    }
  });
});

function ev(step: string) {
  return {
    specversion: '1.0' as const,
    id: crypto.randomUUID(),
    source: '/services/orders',
    type: 'order.placed',
    time: new Date().toISOString(),
    datacontenttype: 'application/json' as const,
    data: { step },
  };
}
