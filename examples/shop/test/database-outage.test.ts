// Issue #15: "a database that is down or restarting is a 503 with a coded error and
// Retry-After, not a 500" — and what a request causes by its input is a 4xx. inventory-service
// runs on real PostgreSQL; its database then refuses connections and its backends are
// terminated (what a restart does to it), and comes back.
import type { Service } from '@outrig/core';
import { createTestDatabase, serverAvailable, type TestDatabase, testServers } from '@outrig/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventoryService } from '../services/inventory-service/src/service.ts';
import { bearer, startTestIssuer, type TestIssuer } from './support/tokens.ts';

const hasPg = await serverAvailable('postgres');

describe.skipIf(!hasPg)(
  'inventory-service when its database goes away, and on input the database refuses',
  () => {
    let db: TestDatabase;
    let issuer: TestIssuer;
    let service: Service;
    let admin: pg.Client;
    let token: string;
    const pen = (sku: string, extra: object = {}) => ({
      name: 'Pen',
      sku,
      stock: 5,
      price: { amount: 199, currency: 'EUR' },
      ...extra,
    });
    const create = (payload: object) =>
      service.app.inject({ method: 'POST', url: '/api/v2/products', headers: bearer(token), payload });

    beforeAll(async () => {
      db = await createTestDatabase('shop_outage');
      issuer = await startTestIssuer();
      service = await createInventoryService({
        env: {
          ...issuer.env,
          DATABASE_URL: db.url,
          BUS_URL: 'memory:outage',
          LOG_LEVEL: 'silent',
          REGISTRY_URL: 'static:none=http://127.0.0.1:1',
          AUTO_REGISTER_SERVICE: 'false',
        },
      });
      await service.app.ready();
      token = await issuer.admin();
      admin = new pg.Client({ connectionString: testServers.postgres });
      await admin.connect();
    });
    afterAll(async () => {
      await admin?.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`).catch(() => {});
      await admin?.end();
      await service?.stop();
      await issuer?.close();
      await db?.drop();
    });

    it('input the database refuses is a 4xx in the envelope: stock past an integer column, a NUL byte', async () => {
      const created = await create(pen('OUT-1'));
      expect(created.statusCode).toBe(201);
      const id = created.json().data.id;
      // The schema bounds stock to the column's range; a change that overflows it reaches the database.
      await service.app.inject({
        method: 'POST',
        url: `/api/v2/products/${id}/stock-adjustments`,
        headers: bearer(token),
        payload: { delta: 1 },
      });
      const big = await create(pen('OUT-2', { stock: 2_147_483_647 }));
      expect(big.statusCode).toBe(201);
      const overflow = await service.app.inject({
        method: 'POST',
        url: `/api/v2/products/${big.json().data.id}/stock-adjustments`,
        headers: bearer(token),
        payload: { delta: 1 },
      });
      expect([overflow.statusCode, overflow.json().error.code]).toEqual([400, 'DB_VALUE_OUT_OF_RANGE']);
      const past = await create(pen('OUT-3', { stock: 2 ** 53 + 1 }));
      expect([past.statusCode, past.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
      const nul = await create(pen('OUT-4', { name: 'Pen\u0000' }));
      expect([nul.statusCode, nul.json().error.code]).toEqual([400, 'DB_DATA_INVALID']);
    });

    it('under write load, through an outage (backends terminated, connections refused) and back: every write is 201 or 503, never 500', async () => {
      const answers: { status: number; code?: string; retryAfter?: string }[] = [];
      let n = 0;
      const write = async () => {
        const res = await create(pen(`LOAD-${n++}`));
        answers.push({
          status: res.statusCode,
          code: res.statusCode >= 400 ? res.json().error?.code : undefined,
          retryAfter: res.headers['retry-after'] as string | undefined,
        });
        return res.statusCode;
      };
      /** Eight writers at a time until `until` has seen what it waits for (at most 400 writes). */
      const load = async (until: () => boolean) => {
        for (let round = 0; round < 50 && !until(); round++)
          await Promise.all(Array.from({ length: 8 }, write));
        expect(until(), 'the load never saw what it waited for').toBe(true);
      };
      await load(() => answers.some((a) => a.status === 201));
      // The outage: new connections refused, every open one terminated (as a restart does), while writing.
      const writing = load(() => answers.some((a) => a.status === 503));
      await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [db.name],
      );
      await writing;
      await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
      const created = answers.filter((a) => a.status === 201).length;
      await load(() => answers.filter((a) => a.status === 201).length > created);
      const unexpected = answers.filter(
        (a) => a.status !== 201 && !(a.status === 503 && a.code === 'DB_UNAVAILABLE'),
      );
      expect(unexpected).toEqual([]);
      expect(answers.filter((a) => a.status === 503).every((a) => a.retryAfter === '2')).toBe(true);
    });

    it('answers 503 DB_UNAVAILABLE with Retry-After while its database refuses connections, then recovers', async () => {
      await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [db.name],
      );
      for (const [method, url, payload] of [
        ['GET', '/api/v2/products', undefined],
        ['GET', '/api/v2/products', undefined],
        ['POST', '/api/v2/products', pen('DOWN-1')],
      ] as const) {
        const res = await service.app.inject({
          method,
          url,
          headers: bearer(token),
          ...(payload ? { payload } : {}),
        });
        expect(res.statusCode, res.body).toBe(503);
        expect(res.json().error).toMatchObject({ code: 'DB_UNAVAILABLE', message: expect.any(String) });
        expect(res.headers['retry-after']).toBe('2');
      }
      await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
      const back = await service.app.inject({ url: '/api/v2/products', headers: bearer(token) });
      expect(back.statusCode).toBe(200);
    });
  },
);
