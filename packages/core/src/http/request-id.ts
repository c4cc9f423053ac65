import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Header carrying the request id in and out. */
export const REQUEST_ID_HEADER = 'x-request-id';

// A caller-supplied id is reused only if it is short and plain (it ends up in logs and headers).
const SAFE_ID = /^[\w.:@/+=-]{1,128}$/;

/** Takes the caller's `x-request-id` when it is safe, otherwise generates a UUID. */
export function requestIdFrom(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
}
