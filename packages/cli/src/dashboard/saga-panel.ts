import {
  listSagas,
  requestSagaAction,
  type SagaAction,
  type SagaDetails,
  type SagaRequest,
  type SagaSummary,
  showSaga,
  waitForSagaRequest,
} from '@outrig/sagas';
import { type DatabasePools, isMissingTable } from './database-pools.ts';

/** The saga instances of one service that runs sagas. */
export interface SagaView {
  readonly service: string;
  /** The latest instances, newest first (at most 200). */
  readonly instances: readonly SagaSummary[];
  /** Instances by status (of those listed). */
  readonly counts: Readonly<Record<string, number>>;
}

/** How long an action waits for the service's saga runtime to carry it out. */
const ACTION_WAIT_MS = 10_000;

/**
 * The sagas of the services whose databases have the saga tables: what `outrig saga
 * list|show|retry|abort|resume-compensation` use, from @outrig/sagas.
 */
export class SagaPanel {
  readonly #pools: DatabasePools;

  constructor(pools: DatabasePools) {
    this.#pools = pools;
  }

  /** One view per service with saga tables; services without them are left out. */
  async views(): Promise<SagaView[]> {
    const views = await Promise.all(
      this.#pools.services().map(async (service): Promise<SagaView | undefined> => {
        try {
          const instances = (await listSagas(this.#pools.get(service)!, { limit: 200 })).reverse();
          const counts: Record<string, number> = {};
          for (const i of instances) counts[i.status] = (counts[i.status] ?? 0) + 1;
          return { service, instances, counts };
        } catch (err) {
          if (isMissingTable(err)) return undefined;
          throw err;
        }
      }),
    );
    return views.filter((v): v is SagaView => v !== undefined);
  }

  /** One instance with its timeline. @throws `SAGA_NOT_FOUND`; undefined without a database. */
  async show(service: string, id: string): Promise<SagaDetails | undefined> {
    const sql = this.#pools.get(service);
    return sql === undefined ? undefined : showSaga(sql, id);
  }

  /**
   * Records an operator action and waits (10 s) for the service's runtime to carry it out; the
   * request says its outcome, or `handledAt: null` when it is still queued.
   * @throws `SAGA_NOT_FOUND`, `SAGA_ACTION_NOT_ALLOWED`
   */
  async act(
    service: string,
    id: string,
    action: SagaAction,
    reason?: string,
  ): Promise<SagaRequest | undefined> {
    const sql = this.#pools.get(service);
    if (sql === undefined) return undefined;
    const request = await requestSagaAction(sql, id, action, reason);
    return waitForSagaRequest(sql, request.id, ACTION_WAIT_MS);
  }
}
