import { PassThrough } from 'node:stream';
import { CoreErrors, type OutrigError } from '@outrig/core';
import type { FastifyReply } from 'fastify';
import type { Dispatcher } from 'undici';
import type { Upstream } from '../upstream/upstream.ts';
import type { UpstreamInstance } from '../upstream/upstream-instance.ts';
import { stripResponseHeaders } from './forward-headers.ts';

/** Per-route settings of the proxy path, resolved once at start. */
export interface ProxyTarget {
  readonly upstream: Upstream;
  /** Per-attempt timeout for response headers and between body chunks. */
  readonly timeoutMs: number;
  /** Extra attempts for requests that are safe to repeat. */
  readonly retries: number;
}

/** What one forwarded request carries. */
export interface ProxyRequest {
  readonly method: Dispatcher.HttpMethod;
  /** Path and query sent upstream. */
  readonly path: string;
  /** Flat `[name, value, …]` list (see `forwardHeaders`). */
  readonly headers: string[];
  readonly body: Buffer | undefined;
  /** Safe to send twice: idempotent method or an `Idempotency-Key`. */
  readonly repeatable: boolean;
}

/** Told about retries and failed attempts (metrics). */
export interface ProxyObserver {
  retry(service: string): void;
  failure(service: string, reason: 'connect' | 'timeout' | 'status'): void;
}

/** Responses up to this size (known from content-length) are buffered and sent in one write. */
const BUFFER_LIMIT = 256 * 1024;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
/** Failures to open a connection: the request was never sent, so any method may go elsewhere. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Forwards one request to an instance of the target's upstream and relays the answer through
 * Fastify's reply (so the kit's hooks, headers, metrics and error envelope apply). Fails fast
 * with `CIRCUIT_OPEN` while the upstream's breaker is open. A failed attempt (connection error,
 * timeout, 502/503/504) counts against the instance (outlier ejection) and the breaker; it is
 * retried on another instance only when nothing was relayed yet and either the request is
 * repeatable or it provably never left the gateway (the connection could not be opened).
 */
export function proxy(
  target: ProxyTarget,
  request: ProxyRequest,
  reply: FastifyReply,
  observer: ProxyObserver,
): void {
  new ProxyCall(target, request, reply, observer).attempt(undefined);
}

class ProxyCall {
  readonly target: ProxyTarget;
  readonly request: ProxyRequest;
  readonly reply: FastifyReply;
  readonly observer: ProxyObserver;
  attemptsLeft: number;

  constructor(target: ProxyTarget, request: ProxyRequest, reply: FastifyReply, observer: ProxyObserver) {
    this.target = target;
    this.request = request;
    this.reply = reply;
    this.observer = observer;
    this.attemptsLeft = target.retries;
  }

  attempt(previous: UpstreamInstance | undefined): void {
    const upstream = this.target.upstream;
    if (!upstream.breaker.allow()) {
      const seconds = Math.max(1, Math.ceil(upstream.breaker.retryAfterMs() / 1000));
      this.reply.header('retry-after', String(seconds));
      this.fail(CoreErrors.CIRCUIT_OPEN({ params: { target: upstream.name } }));
      return;
    }
    const instance = upstream.pick(previous);
    if (!instance) {
      upstream.breaker.release();
      this.fail(CoreErrors.SERVICE_NO_INSTANCES({ params: { target: upstream.name } }));
      return;
    }
    const r = this.request;
    instance.pool.dispatch(
      {
        path: r.path,
        method: r.method,
        headers: r.headers,
        body: r.body ?? null,
        idempotent: r.repeatable,
        headersTimeout: this.target.timeoutMs,
        bodyTimeout: this.target.timeoutMs,
      },
      new Attempt(this, instance),
    );
  }

  /** Whether a failed attempt may be sent again (`notSent`: it never reached the upstream). */
  canRetry(notSent: boolean): boolean {
    return this.attemptsLeft > 0 && (notSent || this.request.repeatable) && !this.reply.sent;
  }

  /** After a failed attempt: try again elsewhere when allowed, or answer with `error`. */
  failed(instance: UpstreamInstance, error: OutrigError, notSent: boolean): void {
    if (this.canRetry(notSent)) {
      this.attemptsLeft--;
      this.observer.retry(this.target.upstream.name);
      this.attempt(instance);
      return;
    }
    this.fail(error);
  }

  fail(error: OutrigError): void {
    if (!this.reply.sent) this.reply.send(error);
  }
}

/** One attempt against one instance: an undici dispatch handler. */
class Attempt implements Dispatcher.DispatchHandler {
  readonly call: ProxyCall;
  readonly instance: UpstreamInstance;
  /** Set once this attempt has an outcome; later callbacks (after an abort) are ignored. */
  settled = false;
  status = 0;
  headers: Record<string, string | string[] | undefined> | undefined;
  chunks: Buffer[] | undefined;
  stream: PassThrough | undefined;

  constructor(call: ProxyCall, instance: UpstreamInstance) {
    this.call = call;
    this.instance = instance;
  }

  onRequestStart(): void {}

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx: informational, the final response follows
    const { call, instance } = this;
    const upstream = call.target.upstream;
    if (statusCode === 502 || statusCode === 503 || statusCode === 504) {
      upstream.failure(instance);
      call.observer.failure(upstream.name, 'status');
      if (call.canRetry(false)) {
        this.settled = true;
        controller.abort(new Error('retrying on another instance'));
        call.failed(instance, CoreErrors.UPSTREAM_UNAVAILABLE({ params: { target: upstream.name } }), false);
        return;
      }
    } else {
      upstream.success(instance);
    }
    stripResponseHeaders(headers);
    this.status = statusCode;
    this.headers = headers;
    const length = Number(headers['content-length']);
    if (
      length <= BUFFER_LIMIT ||
      call.request.method === 'HEAD' ||
      statusCode === 204 ||
      statusCode === 304
    ) {
      this.chunks = [];
      return;
    }
    // Large or unknown length: stream with backpressure instead of buffering.
    const stream = new PassThrough();
    this.stream = stream;
    stream.on('drain', () => controller.resume());
    call.reply.raw.once('close', () => {
      if (!this.settled) controller.abort(new Error('client went away'));
    });
    call.reply.code(statusCode).headers(headers).send(stream);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.chunks) this.chunks.push(chunk);
    else if (this.stream && !this.stream.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    const { chunks, stream } = this;
    if (stream) {
      stream.end();
      return;
    }
    const reply = this.call.reply;
    reply.code(this.status).headers(this.headers!);
    if (!chunks || chunks.length === 0) reply.send();
    else reply.send(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.settled) return;
    this.settled = true;
    const { call, instance } = this;
    const upstream = call.target.upstream;
    if (this.stream) {
      // Headers are out: all that is left is to cut the response short.
      upstream.failure(instance);
      this.stream.destroy(err);
      return;
    }
    const code = (err as { code?: string }).code ?? '';
    const timeout = TIMEOUT_CODES.has(code);
    upstream.failure(instance);
    call.observer.failure(upstream.name, timeout ? 'timeout' : 'connect');
    const error = timeout
      ? CoreErrors.UPSTREAM_TIMEOUT({
          params: { target: upstream.name, timeoutMs: call.target.timeoutMs },
          cause: err,
        })
      : CoreErrors.UPSTREAM_UNAVAILABLE({ params: { target: upstream.name }, cause: err });
    // A response that started (status counted as a success) and then broke is not retried.
    if (this.headers) call.fail(error);
    else call.failed(instance, error, NOT_SENT_CODES.has(code));
  }
}
