import type { Service, ServiceApp } from '@outrig/core';
import { Type } from 'typebox';
import { SagaErrors } from '../errors.ts';
import type { SagaRuntime } from './saga-runtime.ts';
import type { SagaStatus } from './saga-transition.ts';

const Status = Type.Union([
  Type.Literal('running'),
  Type.Literal('compensating'),
  Type.Literal('completed'),
  Type.Literal('compensated'),
  Type.Literal('compensation_failed'),
]);
/** A timestamp: the handlers return Dates, serialized as ISO strings. */
const At = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });

const SagaSummarySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  saga: Type.String(),
  version: Type.Integer(),
  key: Type.String(),
  status: Status,
  step: Type.Integer(),
  phase: Type.String(),
  startedAt: At,
  updatedAt: At,
});

const SagaDetailsSchema = Type.Object({
  ...SagaSummarySchema.properties,
  state: Type.Unsafe<object>({
    type: 'object',
    additionalProperties: true,
    description: 'the engine state: data, step, phase, attempt, pending and compensated steps, reason',
  }),
  history: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      at: At,
      kind: Type.String(),
      from: Type.Union([Status, Type.Null()]),
      to: Status,
      step: Type.Integer(),
      phase: Type.String(),
      attempt: Type.Integer(),
      messageId: Type.Optional(Type.String()),
      detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  ),
  timers: Type.Array(Type.Object({ name: Type.String(), token: Type.String(), dueAt: At })),
  parked: Type.Array(
    Type.Object({ eventId: Type.String(), type: Type.String(), reason: Type.String(), at: At }),
  ),
});

const ListQuery = Type.Object({
  status: Type.Optional(Type.Union([Status, Type.Array(Status)])),
  saga: Type.Optional(Type.String({ minLength: 1 })),
  olderThanMs: Type.Optional(Type.Integer({ minimum: 1, description: 'only instances started longer ago' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const ActionResult = Type.Object({ id: Type.String(), action: Type.String(), status: Status });

/** What {@link registerSagaAdminRoutes} takes. */
export interface SagaAdminRoutesOptions {
  /** The service's saga runtime: actions run through it at once (it has the definitions). */
  readonly runtime: SagaRuntime;
  /** Roles allowed (any of). Default `['admin']`. */
  readonly roles?: readonly string[];
  /** API version the routes live under. Default 1 (`/api/v1/admin/sagas`). */
  readonly apiVersion?: number;
}

/**
 * Adds the saga admin routes to a service made by `createService` (its token verification must be
 * configured: `JWT_JWKS_URL`…), each requiring one of `roles` (default `admin`):
 * `GET /api/v1/admin/sagas` (`?status=&saga=&olderThanMs=&limit=`), `GET /api/v1/admin/sagas/:id`
 * (history as a timeline, timers, parked messages), `POST /api/v1/admin/sagas/:id/retry`,
 * `…/abort` (body `{ reason? }`), `…/resume-compensation` → `{ id, action, status }`.
 * Errors: `SAGA_NOT_FOUND` (404), `SAGA_ACTION_NOT_ALLOWED` (409), in the error envelope.
 *
 * @example
 * const sagas = createSagaRuntime({ sql, broker, source: '/services/order-service', sagas: [OrderSaga] });
 * registerSagaAdminRoutes(service, { runtime: sagas });
 */
export function registerSagaAdminRoutes(service: Service<unknown>, options: SagaAdminRoutesOptions): void {
  const { runtime } = options;
  if (typeof runtime?.list !== 'function') {
    throw SagaErrors.SAGA_OPTIONS_INVALID({
      params: { reason: 'registerSagaAdminRoutes needs { runtime }' },
    });
  }
  const roles = [...(options.roles ?? ['admin'])];
  const access = () => ({ roles: [...roles] });
  service.version(options.apiVersion ?? 1, (api: ServiceApp) => {
    api.get(
      '/admin/sagas',
      {
        config: access(),
        schema: {
          summary: 'List saga instances, oldest first (admin)',
          tags: ['sagas'],
          querystring: ListQuery,
          response: { 200: Type.Array(SagaSummarySchema) },
        },
      },
      async (request) => {
        const q = request.query as {
          status?: SagaStatus | SagaStatus[];
          saga?: string;
          olderThanMs?: number;
          limit?: number;
        };
        return runtime.list({
          ...(q.status === undefined ? {} : { status: q.status }),
          ...(q.saga === undefined ? {} : { saga: q.saga }),
          ...(q.olderThanMs === undefined ? {} : { olderThanMs: q.olderThanMs }),
          limit: q.limit ?? 100,
        });
      },
    );
    api.get(
      '/admin/sagas/:id',
      {
        config: access(),
        schema: {
          summary: 'One saga instance: state, history timeline, timers, parked messages (admin)',
          tags: ['sagas'],
          params: IdParams,
          response: { 200: SagaDetailsSchema },
        },
      },
      async (request) => {
        const d = await runtime.show((request.params as { id: string }).id);
        return { ...d, history: [...d.history], timers: [...d.timers], parked: [...d.parked] };
      },
    );
    const action = (
      name: 'retry' | 'abort' | 'resume-compensation',
      summary: string,
      run: (id: string, body: { reason?: string } | undefined) => Promise<SagaStatus>,
    ) =>
      api.post(
        `/admin/sagas/:id/${name}`,
        {
          config: access(),
          schema: {
            summary,
            tags: ['sagas'],
            params: IdParams,
            response: { 200: ActionResult },
          },
        },
        async (request) => {
          const { id } = request.params as { id: string };
          // No body schema: the body is optional (a bare POST); only abort reads `reason`.
          const reason = (request.body as { reason?: unknown } | undefined)?.reason;
          const status = await run(
            id,
            typeof reason === 'string' ? { reason: reason.slice(0, 500) } : undefined,
          );
          return { id, action: name, status };
        },
      );
    action('retry', 'Send the current command again as a new attempt (admin)', (id) => runtime.retry(id));
    action(
      'abort',
      'Compensate a running instance; optional JSON body { "reason": "…" } (admin)',
      (id, body) => runtime.abort(id, body?.reason),
    );
    action('resume-compensation', 'Take a compensation_failed instance back to compensating (admin)', (id) =>
      runtime.resumeCompensation(id),
    );
  });
}
