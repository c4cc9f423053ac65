/**
 * The dashboard's Sagas endpoints against the real PostgreSQL: instances made by a real saga
 * runtime (the sagas package's harness), read and acted on through the same functions as
 * `outrig saga …`, carried out by that runtime.
 */
import { instanceId } from '@outrig/sagas';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tripSaga } from '../../sagas/test/fixtures/trip-saga.ts';
import type { Behaviour, ScriptedCommand } from '../../sagas/test/support/participant.ts';
import { type SagaHarness, startSagaHarness } from '../../sagas/test/support/saga-harness.ts';
import { DashboardApi } from '../src/dashboard/dashboard-api.ts';
import { DatabasePools } from '../src/dashboard/database-pools.ts';
import { DevHub } from '../src/dashboard/dev-hub.ts';
import { OutboxPanel } from '../src/dashboard/outbox-panel.ts';
import { SagaPanel } from '../src/dashboard/saga-panel.ts';

const ok = await serverAvailable('postgres');
if (!ok && process.env.CI === 'true')
  throw new Error('PostgreSQL is not reachable: run scripts/test-servers.sh');

const scripts = new Map<string, Record<string, Behaviour>>();
const script = (cmd: ScriptedCommand): Behaviour =>
  scripts.get(cmd.trip)?.[`${cmd.phase}${cmd.step}`] ?? 'ok';

describe.skipIf(!ok)(
  'the dashboard on sagas (real PostgreSQL, a real saga runtime)',
  { timeout: 120_000 },
  () => {
    let h: SagaHarness;
    let plain: TestDatabase;
    let pools: DatabasePools;
    let api: DashboardApi;
    const done = instanceId('trip', 'dash-done');
    const stuck = instanceId('trip', 'dash-stuck');
    const failed = instanceId('trip', 'dash-failed');

    beforeAll(async () => {
      h = await startSagaHarness('dash_sagas', script);
      plain = await createTestDatabase('dash_plain');
      await h.worker([tripSaga({ undoAttempts: 1, timeoutMs: 3_600_000, undoTimeoutMs: 3_600_000 })]);
      scripts.set('dash-stuck', { do1: 'silent' });
      scripts.set('dash-failed', { do1: 'decline', undo0: 'decline' });
      for (const trip of ['dash-done', 'dash-stuck', 'dash-failed']) await h.book(trip);
      expect(await h.settled('dash-done')).toBe('completed');
      expect(await h.settled('dash-failed')).toBe('compensation_failed');
      pools = new DatabasePools(
        new Map([
          ['trip-service', h.db.url],
          ['plain-service', plain.url],
        ]),
      );
      api = new DashboardApi({
        system: 'trips',
        services: [],
        hub: new DevHub(),
        outbox: new OutboxPanel(pools),
        sagas: new SagaPanel(pools),
        control: { stop: async () => {}, start: async () => {} },
      });
    });
    afterAll(async () => {
      await pools?.close();
      await plain?.drop();
      await h?.close();
    });

    it('lists the instances of services with saga tables, newest first, with counts by status', async () => {
      const { body } = await api.sagas();
      const { sagas } = body as {
        sagas: {
          service: string;
          instances: { id: string; status: string }[];
          counts: Record<string, number>;
        }[];
      };
      expect(sagas.map((s) => s.service)).toEqual(['trip-service']);
      const byId = new Map(sagas[0]!.instances.map((i) => [i.id, i.status]));
      expect(byId.get(done)).toBe('completed');
      expect(byId.get(failed)).toBe('compensation_failed');
      expect(byId.get(stuck)).toBe('running');
      expect(sagas[0]!.counts).toMatchObject({ completed: 1, compensation_failed: 1, running: 1 });
    });

    it('shows an instance with its timeline; an unknown one is 404', async () => {
      const shown = await api.saga('trip-service', failed);
      expect(shown.status).toBe(200);
      const { saga } = shown.body as { saga: { status: string; history: { to: string }[] } };
      expect(saga.status).toBe('compensation_failed');
      expect(saga.history.at(-1)!.to).toBe('compensation_failed');
      expect((await api.saga('trip-service', instanceId('trip', 'nobody'))).status).toBe(404);
    });

    it('aborts a running saga through its runtime; an action its status refuses is 409', async () => {
      const aborted = await api.sagaAction('trip-service', stuck, 'abort', { reason: 'from the dashboard' });
      expect(aborted.status).toBe(200);
      expect(aborted.body).toMatchObject({
        request: { action: 'abort', outcome: 'compensating', error: null },
      });
      expect(await h.settled('dash-stuck')).toBe('compensated');
      const refused = await api.sagaAction('trip-service', done, 'abort', {});
      expect(refused).toMatchObject({ status: 409, body: { error: { code: 'SAGA_ACTION_NOT_ALLOWED' } } });
    });

    it('shows the outbox of every database, and says which has none', async () => {
      const { body } = await api.outbox();
      const { outboxes } = body as { outboxes: { service: string; status: unknown; error?: string }[] };
      expect(outboxes.find((o) => o.service === 'trip-service')?.status).toMatchObject({ parked: 0 });
      expect(outboxes.find((o) => o.service === 'plain-service')).toMatchObject({
        status: null,
        error: expect.stringContaining('no outbox table'),
      });
    });
  },
);
