import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ApiOperation, JsonSchema } from './api-operation.ts';
import { FORGED_TOKENS, type FuzzRequest } from './fuzz-request.ts';

/** What came back for one request. */
export interface FuzzResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

type Validate = (value: unknown) => { ok: true } | { ok: false; errors: string };

/** Compiles response schemas once per operation and status (JSON Schema 2020-12, as in OpenAPI 3.1). */
export class ResponseValidators {
  readonly #ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  readonly #cache = new Map<JsonSchema, Validate>();

  constructor() {
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.#ajv);
  }

  for(schema: JsonSchema): Validate {
    let validate = this.#cache.get(schema);
    if (!validate) {
      const compiled = this.#ajv.compile(schema);
      validate = (value) =>
        compiled(value)
          ? { ok: true }
          : { ok: false, errors: this.#ajv.errorsText(compiled.errors, { dataVar: 'body' }) };
      this.#cache.set(schema, validate);
    }
    return validate;
  }
}

/**
 * The first broken promise in one answer, or `undefined` when it keeps them all: no 5xx; every
 * 4xx in the error envelope (`{ error: { code, message } }`); every status documented for the
 * operation (exactly, as `4XX`, or by `default`); every 2xx body valid against its declared
 * schema; and an operation that takes a token never answering 2xx to a forged one.
 */
export function checkResponse(
  op: ApiOperation,
  request: FuzzRequest,
  response: FuzzResponse,
  validators: ResponseValidators,
): string | undefined {
  const { status } = response;
  if (status >= 500) return `server error ${status}${errorCode(response) ? ` ${errorCode(response)}` : ''}`;
  if (status >= 400 && !isErrorEnvelope(response.body)) {
    return `${status} is not in the error envelope: ${response.body.slice(0, 200)}`;
  }
  const documented = documentedSchema(op, status);
  if (documented === 'undocumented') {
    return `status ${status}${errorCode(response) ? ` (${errorCode(response)})` : ''} is not documented for ${op.id}`;
  }
  if (status >= 200 && status < 300 && refusesForged(op, request)) {
    return `${status} for a request with a forged token (${request.token})`;
  }
  if (
    status >= 200 &&
    status < 300 &&
    documented !== undefined &&
    status !== 204 &&
    request.method !== 'HEAD'
  ) {
    let value: unknown;
    try {
      value = JSON.parse(response.body);
    } catch {
      return `${status} body is not JSON: ${response.body.slice(0, 200)}`;
    }
    const result = validators.for(documented)(value);
    if (!result.ok) return `${status} body does not match the documented schema: ${result.errors}`;
  }
  return undefined;
}

/**
 * Whether the operation must refuse this request's token: a bearer token that is malformed or
 * forged, wherever a token is read; credentials of another scheme (`Basic …`) only where a token
 * is required — an operation with optional auth treats them as no token at all.
 */
function refusesForged(op: ApiOperation, request: FuzzRequest): boolean {
  if (op.auth === 'none' || !FORGED_TOKENS.has(request.token)) return false;
  return request.token !== 'wrong-scheme' || op.auth === 'required';
}

/** The schema documented for `status` (`undefined`: documented without one). */
function documentedSchema(op: ApiOperation, status: number): JsonSchema | undefined | 'undocumented' {
  for (const key of [String(status), `${String(status)[0]}XX`, 'DEFAULT']) {
    if (key in op.responses) return op.responses[key];
  }
  return 'undocumented';
}

function isErrorEnvelope(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    return typeof parsed?.error?.code === 'string' && typeof parsed.error.message === 'string';
  } catch {
    return false;
  }
}

function errorCode(response: FuzzResponse): string | undefined {
  try {
    const code = (JSON.parse(response.body) as { error?: { code?: unknown } })?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
