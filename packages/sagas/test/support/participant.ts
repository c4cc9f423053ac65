import type { SqlClient } from '@outrig/db';
import { type Broker, type CloudEvent, type Consumer, createConsumer, createOutbox } from '@outrig/messaging';
import { replyTo } from '../../src/index.ts';
import { StepDeclined, StepDone, StepUndone, UndoDeclined } from '../fixtures/trip-saga.ts';

/** How the scripted participant answers one command. */
export type Behaviour = 'ok' | 'decline' | 'silent' | 'late' | 'duplicate';

/** The command as the script sees it. */
export interface ScriptedCommand {
  readonly trip: string;
  readonly step: number;
  readonly phase: 'do' | 'undo';
  readonly event: CloudEvent;
}

export const PARTICIPANT_DDL = `
CREATE TABLE IF NOT EXISTS participant_effect (
  seq bigserial PRIMARY KEY,
  trip text NOT NULL,
  step int NOT NULL,
  phase text NOT NULL,
  command_id uuid NOT NULL
)`;

/**
 * A scripted participant: consumes the saga's commands (inbox: a resent command id is dropped),
 * records its effect in the same transaction as its reply (outbox), per script:
 * - ok: effect + ok reply; decline: decline reply, no effect; silent: nothing (the saga times out);
 * - late: effect now, the ok reply only once the saga has moved past the step (a reordering:
 *   the timeout is handled before the reply);
 * - duplicate: effect + ok reply, then the very same reply event published a second time.
 */
export async function startParticipant(
  sql: SqlClient,
  broker: Broker,
  script: (cmd: ScriptedCommand) => Behaviour,
): Promise<{ consumer: Consumer; pending: Set<Promise<void>> }> {
  await sql.query(PARTICIPANT_DDL);
  const outbox = createOutbox({ source: '/services/participant' });
  const pending = new Set<Promise<void>>();
  // Replies sent later (late, duplicate) outlive the handler; after the test closes the database
  // they fail, which is expected and must not surface as an unhandled rejection.
  const track = (task: Promise<void>) => {
    const settled = task.catch(() => {});
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  };
  const consumer = createConsumer({
    sql,
    broker,
    group: 'participant',
    maxAttempts: 50,
    backoff: { baseMs: 5, maxMs: 50 },
  });
  await consumer.subscribe('participant.commands', async (event, { tx }) => {
    const { trip, step } = event.data as { trip: string; step: number };
    const phase = event.type === 'participant.undo' ? 'undo' : 'do';
    const behaviour = script({ trip, step, phase, event });
    if (behaviour === 'silent') return;
    const okDef = phase === 'do' ? StepDone : StepUndone;
    const failDef = phase === 'do' ? StepDeclined : UndoDeclined;
    if (behaviour === 'decline') {
      await outbox.unitOfWork(tx, async (uow) => {
        uow.publish(failDef, { subject: trip, data: { step }, ...replyTo(event) });
      });
      return;
    }
    await tx.query('INSERT INTO participant_effect (trip, step, phase, command_id) VALUES ($1, $2, $3, $4)', [
      trip,
      step,
      phase,
      event.id,
    ]);
    if (behaviour === 'late') {
      const task = replyWhenMoved(sql, event, () =>
        outbox.unitOfWork(sql, async (uow) => {
          uow.publish(okDef, { subject: trip, data: { step }, ...replyTo(event) });
        }),
      );
      track(task);
      return;
    }
    let reply: CloudEvent | undefined;
    await outbox.unitOfWork(tx, async (uow) => {
      reply = uow.publish(okDef, { subject: trip, data: { step }, ...replyTo(event) });
    });
    if (behaviour === 'duplicate' && reply) {
      const again = reply;
      const task = (async () => {
        await waitForRow(sql, 'SELECT 1 FROM outbox WHERE id = $1 AND state = $2', [again.id, 'delivered']);
        await broker.publish([{ topic: okDef.topic, key: trip, event: again }]);
      })();
      track(task);
    }
  });
  return { consumer, pending };
}

/** Waits until the instance's current (step, phase) is no longer the command's, then replies. */
async function replyWhenMoved(sql: SqlClient, cmd: CloudEvent, reply: () => Promise<void>): Promise<void> {
  const { step } = cmd.data as { step: number };
  const phase = cmd.type === 'participant.undo' ? 'undo' : 'do';
  await waitForRow(
    sql,
    `SELECT 1 FROM saga_instance WHERE id = $1 AND NOT (state->>'step' = $2 AND state->>'phase' = $3 AND (state->>'awaiting')::boolean)`,
    [cmd.correlationid, String(step), phase],
  );
  await reply();
}

async function waitForRow(
  sql: SqlClient,
  text: string,
  params: unknown[],
  timeoutMs = 600_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if ((await sql.query(text, params)).rowCount > 0) return;
    if (Date.now() > until) throw new Error(`timed out waiting for: ${text}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
