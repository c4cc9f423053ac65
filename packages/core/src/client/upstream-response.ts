import { OutrigError } from '../errors/outrig-error.ts';
import { CoreErrors } from '../errors.ts';

/** What an attempt read from the called service. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, the text when the body is not JSON, `undefined` when empty. */
  readonly body: unknown;
  readonly json: boolean;
}

/** A successful answer, unwrapped from the envelope. */
export interface ClientResponse<T = unknown> {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** `data` of the envelope (the whole body for `envelope: false`; `undefined` for 204). */
  readonly data: T;
  /** `metadata` of the envelope (`version`, `timestamp`, `requestId`), when present. */
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
}

/** Parses a body: JSON when the content type says so (or it looks like it), text otherwise. */
export function parseBody(text: string, contentType: string | undefined): { body: unknown; json: boolean } {
  if (text === '') return { body: undefined, json: false };
  if (contentType?.includes('json') || /^\s*[{[]/.test(text)) {
    try {
      return { body: JSON.parse(text), json: true };
    } catch {
      return { body: text, json: false };
    }
  }
  return { body: text, json: false };
}

/**
 * Maps an answer to a result: 2xx envelope → `data`; an error envelope → an `OutrigError` with
 * the callee's code, status, message and details (so a route can rethrow it as is); anything
 * else → 502 `UPSTREAM_BAD_RESPONSE`.
 */
export function toClientResponse(
  target: string,
  raw: RawResponse,
  options: { envelope: boolean },
): ClientResponse | OutrigError {
  const { status, headers, body } = raw;
  if (status >= 200 && status < 300) {
    if (body === undefined || !options.envelope) {
      return { status, headers, data: body, metadata: undefined };
    }
    if (raw.json && isRecord(body) && 'data' in body) {
      const metadata = isRecord(body.metadata) ? body.metadata : undefined;
      return { status, headers, data: body.data, metadata };
    }
    return badResponse(target, status, 'a 2xx answer without the { data } envelope');
  }
  const error = raw.json && isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (error && typeof error.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(error.code)) {
    const message = typeof error.message === 'string' ? error.message : `${target} answered ${status}`;
    return new OutrigError(
      error.code,
      { status, message, retryable: status === 429 || status === 503 },
      {
        details: isRecord(error.details) ? error.details : undefined,
        cause: { upstream: target, status },
      },
    );
  }
  return badResponse(target, status, typeof body === 'string' ? body.slice(0, 200) : 'no error envelope');
}

function badResponse(target: string, status: number, received: string): OutrigError {
  return CoreErrors.UPSTREAM_BAD_RESPONSE({
    params: { target, status },
    details: { target, status },
    cause: { upstream: target, status, received },
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
