import { type CloudEvent, createEvent } from '@outrig/messaging';
import type { PlannedCommand } from './saga-transition.ts';

/**
 * The CloudEvent of a planned command: its deterministic id, `correlationid` = the instance id
 * (replies carry it back), `causationid` = the message that caused the transition.
 */
export function commandEvent(
  planned: PlannedCommand,
  instance: { id: string; key: string },
  source: string,
  causationId: string | undefined,
): CloudEvent {
  const { command } = planned;
  return createEvent(command.definition, {
    id: planned.id,
    subject: command.subject ?? instance.key,
    data: command.data,
    source,
    correlationId: instance.id,
    ...(causationId === undefined ? {} : { causationId }),
  });
}

/**
 * What a participant passes when it publishes the reply to a saga command: the saga finds its
 * instance by `correlationId` and its step by `causationId` (the command's id).
 *
 * @example
 * uow.publish(StockReserved, { subject: cmd.subject!, data: { … }, ...replyTo(cmd) });
 */
export function replyTo(command: CloudEvent): { correlationId: string; causationId: string } {
  return { correlationId: String(command.correlationid), causationId: command.id };
}
