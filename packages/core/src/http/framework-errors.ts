import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutrigError } from '../errors/outrig-error.ts';
import { CoreErrors } from '../errors.ts';

/**
 * Sends `error` in the envelope: status, `{ error }` body, and for a retryable 503 a
 * `Retry-After` (the error's own, else 1 s) unless one is set already. The one way the kit
 * answers with an error — from the error handler and from Fastify's framework-error hook alike.
 */
export function sendError(reply: FastifyReply, error: OutrigError): void {
  if (error.status === 503 && error.retryable && !reply.hasHeader('retry-after')) {
    reply.header('retry-after', String(error.retryAfterSeconds ?? 1));
  }
  reply.code(error.status).send({ error: error.toJSON() });
}

/**
 * Fastify's `frameworkErrors` option: errors raised while routing, before any route or hook runs
 * (`FST_ERR_BAD_URL`: a percent-encoding that does not decode; `FST_ERR_MAX_PARAM_LENGTH`;
 * `FST_ERR_ASYNC_CONSTRAINT`). Without it Fastify answers with its own body instead of the
 * envelope. `toError` is the kit's error mapping; `headers` the security headers every answer gets.
 */
export function frameworkErrorHandler(
  toError: (err: unknown) => OutrigError,
  headers: Record<string, string>,
  requestIdHeader: string,
) {
  return (err: Error, request: FastifyRequest, reply: FastifyReply): void => {
    reply.headers(headers);
    reply.header(requestIdHeader, request.id);
    const error = toError(err);
    if (error.status >= 500) request.log.error({ err }, 'framework error');
    sendError(reply, error);
  };
}

/**
 * Fastify's `clientErrorHandler`: the HTTP parser rejected the request (malformed request line or
 * header, headers too large, request timeout), so there is no request object, only the socket.
 * Answers in the envelope and closes the connection, as Node does by default.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const error =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? CoreErrors.REQUEST_TIMEOUT()
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? CoreErrors.HEADERS_TOO_LARGE()
        : CoreErrors.MALFORMED_REQUEST();
  const body = JSON.stringify({ error: error.toJSON() });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
