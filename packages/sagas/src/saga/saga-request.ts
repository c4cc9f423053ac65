import type { SqlQueryable } from '@outrig/db';
import { SagaErrors } from '../errors.ts';
import type { SagaStatus } from './saga-transition.ts';

/** An operator action on one instance. */
export type SagaAction = 'retry' | 'abort' | 'resume';

/** The statuses each action applies to (the transition function enforces the same). */
export const SAGA_ACTION_STATUSES: Readonly<Record<SagaAction, readonly SagaStatus[]>> = {
  retry: ['running', 'compensating'],
  abort: ['running'],
  resume: ['compensation_failed'],
};

/** The action's name in messages and on the command line. */
export function actionName(action: SagaAction): string {
  return action === 'resume' ? 'resume-compensation' : action;
}

/** An operator request recorded by {@link requestSagaAction}. */
export interface SagaRequest {
  readonly id: string;
  readonly instanceId: string;
  readonly saga: string;
  readonly action: SagaAction;
  readonly reason: string | null;
  readonly requestedAt: Date;
  /** Set once the runtime handled it. */
  readonly handledAt: Date | null;
  /** The instance's status after the action, when it was carried out. */
  readonly outcome: SagaStatus | null;
  /** Set when the runtime refused it (e.g. `SAGA_ACTION_NOT_ALLOWED`: the status changed meanwhile). */
  readonly error: { code: string; message: string } | null;
}

/**
 * Records an operator action for the runtime that runs the instance's saga to carry out (at its
 * next timer poll, in one transaction with the transition). What the CLI does: an action sends a
 * command built by the definition's code, which only the owning service has.
 *
 * Checks first that the instance exists and that its status allows the action.
 * @throws `SAGA_NOT_FOUND`, `SAGA_ACTION_NOT_ALLOWED`
 *
 * @example
 * const request = await requestSagaAction(sql, id, 'abort', 'customer cancelled by phone');
 * const done = await waitForSagaRequest(sql, request.id, 30_000);
 */
export async function requestSagaAction(
  sql: SqlQueryable,
  id: string,
  action: SagaAction,
  reason?: string,
): Promise<SagaRequest> {
  const res = await sql.query<Record<string, unknown>>(
    `WITH i AS (SELECT id, saga, status FROM saga_instance WHERE id::text = $1),
     r AS (
       INSERT INTO saga_request (instance_id, saga, action, reason)
       SELECT id, saga, $2, $3 FROM i WHERE status = ANY($4::text[])
       RETURNING *
     )
     SELECT i.status, r.id::text AS id, r.instance_id::text AS instance_id, r.saga, r.action, r.reason,
            r.requested_at, r.handled_at, r.outcome, r.error_code, r.error_message
     FROM i LEFT JOIN r ON true`,
    [id, action, reason ?? null, SAGA_ACTION_STATUSES[action]],
  );
  const row = res.rows[0];
  if (!row) throw SagaErrors.SAGA_NOT_FOUND({ params: { id } });
  if (row.id === null) {
    throw SagaErrors.SAGA_ACTION_NOT_ALLOWED({
      params: { action: actionName(action), id, status: String(row.status) },
    });
  }
  return fromRow(row);
}

/** One request as it stands. @throws `SAGA_NOT_FOUND` when there is no such request */
export async function sagaRequest(sql: SqlQueryable, requestId: string): Promise<SagaRequest> {
  const res = await sql.query<Record<string, unknown>>(
    `SELECT id::text AS id, instance_id::text AS instance_id, saga, action, reason, requested_at,
            handled_at, outcome, error_code, error_message
     FROM saga_request WHERE id::text = $1`,
    [requestId],
  );
  const row = res.rows[0];
  if (!row) throw SagaErrors.SAGA_NOT_FOUND({ params: { id: `request ${requestId}` } });
  return fromRow(row);
}

/**
 * Polls a request until the runtime handled it or `timeoutMs` passed; resolves it as it stands
 * then (`handledAt` null: no runtime of its saga picked it up in time — it stays queued).
 */
export async function waitForSagaRequest(
  sql: SqlQueryable,
  requestId: string,
  timeoutMs: number,
  pollMs = 100,
): Promise<SagaRequest> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const request = await sagaRequest(sql, requestId);
    if (request.handledAt !== null || Date.now() >= until) return request;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(1, until - Date.now()))));
  }
}

function fromRow(r: Record<string, unknown>): SagaRequest {
  return {
    id: r.id as string,
    instanceId: r.instance_id as string,
    saga: r.saga as string,
    action: r.action as SagaAction,
    reason: (r.reason as string | null) ?? null,
    requestedAt: r.requested_at as Date,
    handledAt: (r.handled_at as Date | null) ?? null,
    outcome: (r.outcome as SagaStatus | null) ?? null,
    error: r.error_code ? { code: r.error_code as string, message: String(r.error_message ?? '') } : null,
  };
}
