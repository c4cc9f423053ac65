import { createService, type Service } from '@outrig/core';
import { serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessToken,
  bearer,
  type JwksServer,
  jwtEnv,
  type SigningKey,
  signingKey,
  startJwksServer,
} from '../../core/test/auth-fixtures.ts';
import { commandId, instanceId, registerSagaAdminRoutes } from '../src/index.ts';
import { tripSaga } from './fixtures/trip-saga.ts';
import type { Behaviour, ScriptedCommand } from './support/participant.ts';
import { type SagaHarness, startSagaHarness } from './support/saga-harness.ts';

const hasPg = await serverAvailable('postgres');

const scripts = new Map<string, Record<string, Behaviour>>();
const script = (cmd: ScriptedCommand): Behaviour =>
  scripts.get(cmd.trip)?.[`${cmd.phase}${cmd.step}`] ?? 'ok';

describe.skipIf(!hasPg)('saga admin routes (inject, real saga runtime on PostgreSQL)', () => {
  let h: SagaHarness;
  let key: SigningKey;
  let jwks: JwksServer;
  let service: Service;
  let admin: Record<string, string>;
  const done = instanceId('trip', 'r-done');
  const stuck = instanceId('trip', 'r-stuck');
  const failed = instanceId('trip', 'r-failed');

  beforeAll(async () => {
    h = await startSagaHarness('saga_admin_routes', script);
    const runtime = await h.worker([
      tripSaga({ undoAttempts: 1, timeoutMs: 3_600_000, undoTimeoutMs: 3_600_000 }),
    ]);
    scripts.set('r-stuck', { do1: 'silent' });
    scripts.set('r-failed', { do1: 'decline', undo0: 'decline' });
    for (const trip of ['r-done', 'r-stuck', 'r-failed']) await h.book(trip);
    await h.settled('r-done');
    await h.settled('r-failed');
    for (let i = 0; ; i++) {
      const r = await h.sql.query("SELECT 1 FROM saga_instance WHERE id = $1 AND state->>'step' = '1'", [
        stuck,
      ]);
      if (r.rowCount === 1) break;
      if (i > 500) throw new Error('r-stuck never reached step 1');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    key = await signingKey();
    jwks = await startJwksServer([key.publicJwk]);
    service = createService({ name: 'trip-service', env: jwtEnv(jwks, { LOG_LEVEL: 'silent' }) });
    registerSagaAdminRoutes(service, { runtime });
    await service.app.ready();
    admin = bearer(await accessToken(key, { roles: ['admin'] }));
  });
  afterAll(async () => {
    await service?.stop();
    await jwks?.close();
    await h?.close();
  });

  const get = (url: string, headers = admin) => service.app.inject({ method: 'GET', url, headers });
  const post = (url: string, payload?: object, headers = admin) =>
    service.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });

  it('require the admin role: 401 without a token, 403 FORBIDDEN for a user', async () => {
    const anonymous = await service.app.inject({ url: '/api/v1/admin/sagas' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('UNAUTHENTICATED');
    const user = bearer(await accessToken(key, { roles: ['user'] }));
    for (const res of [
      await get('/api/v1/admin/sagas', user),
      await get(`/api/v1/admin/sagas/${stuck}`, user),
      await post(`/api/v1/admin/sagas/${stuck}/abort`, undefined, user),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    const still = await h.sql.query('SELECT status FROM saga_instance WHERE id = $1', [stuck]);
    expect(still.rows).toEqual([{ status: 'running' }]);
  });

  it('GET /admin/sagas lists instances in the envelope, filtered by status and saga', async () => {
    const all = await get('/api/v1/admin/sagas');
    expect(all.statusCode).toBe(200);
    const body = all.json();
    expect(body.metadata).toMatchObject({ version: 'v1' });
    expect(body.data.map((s: { id: string }) => s.id).sort()).toEqual([done, stuck, failed].sort());
    const failing = await get('/api/v1/admin/sagas?status=compensation_failed');
    expect(failing.json().data).toEqual([
      expect.objectContaining({
        id: failed,
        saga: 'trip',
        version: 1,
        key: 'r-failed',
        status: 'compensation_failed',
        step: 0,
        phase: 'undo',
        startedAt: expect.any(String),
      }),
    ]);
    expect((await get('/api/v1/admin/sagas?saga=order')).json().data).toEqual([]);
    expect((await get('/api/v1/admin/sagas?olderThanMs=3600000')).json().data).toEqual([]);
    const bad = await get('/api/v1/admin/sagas?status=lost');
    expect(bad.statusCode).toBe(400);
  });

  it('GET /admin/sagas/:id shows the history as a timeline; unknown is 404 SAGA_NOT_FOUND', async () => {
    const res = await get(`/api/v1/admin/sagas/${failed}`);
    expect(res.statusCode).toBe(200);
    const d = res.json().data;
    expect(d).toMatchObject({ id: failed, status: 'compensation_failed', timers: [], parked: [] });
    expect(d.history.map((e: { seq: number; kind: string }) => `${e.seq}:${e.kind}`)).toEqual([
      '1:started',
      '2:step_completed',
      '3:step_declined',
      '4:compensation_failed',
    ]);
    expect(d.history[2]).toMatchObject({ from: 'running', to: 'compensating', at: expect.any(String) });
    const missing = await get('/api/v1/admin/sagas/00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('SAGA_NOT_FOUND');
  });

  it('POST retry, abort and resume-compensation act at once; a refused one is 409 SAGA_ACTION_NOT_ALLOWED', async () => {
    const retried = await post(`/api/v1/admin/sagas/${stuck}/retry`);
    expect(retried.statusCode).toBe(200);
    expect(retried.json().data).toEqual({ id: stuck, action: 'retry', status: 'running' });
    expect(
      (await h.sql.query('SELECT 1 FROM outbox WHERE id = $1', [commandId(stuck, 1, 'do', 2)])).rowCount,
    ).toBe(1);

    const aborted = await post(`/api/v1/admin/sagas/${stuck}/abort`, { reason: 'fraud check' });
    expect(aborted.json().data).toEqual({ id: stuck, action: 'abort', status: 'compensating' });
    expect(await h.settled('r-stuck')).toBe('compensated');
    const shown = (await get(`/api/v1/admin/sagas/${stuck}`)).json().data;
    expect(shown.history.find((e: { kind: string }) => e.kind === 'aborted').detail).toEqual({
      reason: 'aborted: fraud check',
      compensate: [1, 0],
    });

    const refused = await post(`/api/v1/admin/sagas/${done}/abort`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'SAGA_ACTION_NOT_ALLOWED',
      message: `Cannot abort saga instance ${done}: it is completed`,
    });

    scripts.set('r-failed', {});
    const resumed = await post(`/api/v1/admin/sagas/${failed}/resume-compensation`);
    expect(resumed.json().data).toEqual({
      id: failed,
      action: 'resume-compensation',
      status: 'compensating',
    });
    expect(await h.settled('r-failed', ['compensated'])).toBe('compensated');
  });
});
