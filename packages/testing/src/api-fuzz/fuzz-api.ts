import fc from 'fast-check';
import { Pool } from 'undici';
import { type ApiOperation, apiOperations } from './api-operation.ts';
import { checkResponse, type FuzzResponse, ResponseValidators } from './check-response.ts';
import { type FuzzRequest, joinUrl, toCurl } from './fuzz-request.ts';
import { requestArbitrary } from './request-arbitrary.ts';

export interface FuzzApiOptions {
  /** Where the API answers, e.g. `http://127.0.0.1:10000` (a path prefix is kept). */
  readonly baseUrl: string;
  /** A bearer token to call with (requests go with it, without it, and with forged variants of it). */
  readonly token?: string | undefined;
  /** Seed of the generator: the same seed generates the same requests. Default: random (reported). */
  readonly seed?: number | undefined;
  /** Requests per operation (before shrinking a failure). Default 100. */
  readonly runs?: number | undefined;
  /** The OpenAPI document; default: fetched from `<baseUrl><openapiPath>`. */
  readonly document?: unknown;
  /** Default `/openapi.json`. */
  readonly openapiPath?: string | undefined;
  /** Only the operations for which this returns true (e.g. by `op.id`). */
  readonly include?: ((op: ApiOperation) => boolean) | undefined;
  /** Per-request timeout in ms. Default 10 000. */
  readonly timeoutMs?: number | undefined;
  /** Length of the "huge" strings among mutations. Default 100 000. */
  readonly hugeLength?: number | undefined;
  /** Size of the oversized body among mutations. Default 1 100 000 bytes (over the kit's 1 MiB default). */
  readonly hugeBodyBytes?: number | undefined;
  /** Called after each operation (progress). */
  readonly onOperation?: ((result: OperationResult) => void) | undefined;
}

/** The minimal request that broke a promise, as fast-check shrank it. */
export interface FuzzFailure {
  readonly operation: string;
  readonly problem: string;
  readonly request: FuzzRequest;
  /** The same request as a curl command line (the given token as `$TOKEN`). */
  readonly curl: string;
  readonly status: number | undefined;
  readonly body: string;
}

export interface OperationResult {
  readonly operation: string;
  /** Requests sent for it, shrinking included. */
  readonly requests: number;
  readonly failure: FuzzFailure | undefined;
}

export interface FuzzReport {
  readonly baseUrl: string;
  readonly seed: number;
  readonly runs: number;
  readonly requests: number;
  readonly operations: readonly OperationResult[];
  readonly failures: readonly FuzzFailure[];
  readonly ok: boolean;
}

/** Writes first (they make data the reads then return and check against their schemas), deletes last. */
const METHOD_ORDER = ['POST', 'PUT', 'PATCH', 'GET', 'HEAD', 'OPTIONS', 'DELETE'];

/**
 * Fuzzes an HTTP API from its OpenAPI document: for each operation, `runs` requests generated
 * from its schemas with fast-check — valid ones and schema-guided mutations (wrong types,
 * out-of-range and boundary numbers, missing and extra fields, huge and odd strings, malformed
 * percent-encodings, content types and JSON, bad and forged tokens) — and checks every answer:
 * no 5xx, every error in the envelope, every status documented, every 2xx body valid against its
 * schema, no 2xx to a forged token. A failing request is shrunk to a minimal one and reported
 * with a curl line. Deterministic for a given `seed` (the server's state aside).
 *
 * @example
 * const report = await fuzzApi({ baseUrl: 'http://127.0.0.1:10000', token, seed: 42, runs: 50 });
 * for (const f of report.failures) console.log(f.operation, f.problem, '\n ', f.curl);
 */
export async function fuzzApi(options: FuzzApiOptions): Promise<FuzzReport> {
  const seed = options.seed ?? (Math.random() * 2 ** 31) | 0;
  const runs = options.runs ?? 100;
  const origin = new URL(options.baseUrl).origin;
  const prefix = new URL(options.baseUrl).pathname.replace(/\/+$/, '');
  const pool = new Pool(origin, { connections: 4 });
  try {
    const document =
      options.document ?? (await fetchDocument(pool, `${prefix}${options.openapiPath ?? '/openapi.json'}`));
    const operations = apiOperations(document)
      .filter(options.include ?? (() => true))
      .sort((a, b) => METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method));
    const validators = new ResponseValidators();
    const generation = {
      token: options.token,
      hugeLength: options.hugeLength ?? 100_000,
      hugeBodyBytes: options.hugeBodyBytes ?? 1_100_000,
    };
    const results: OperationResult[] = [];
    for (const [index, op] of operations.entries()) {
      let requests = 0;
      let failure: FuzzFailure | undefined;
      const property = fc.asyncProperty(requestArbitrary(op, generation), async (request) => {
        requests++;
        const sent = await send(pool, prefix, request, options.timeoutMs ?? 10_000);
        const problem =
          'error' in sent ? `no answer: ${sent.error}` : checkResponse(op, request, sent, validators);
        if (problem === undefined) return true;
        // The last failing request is the shrunk, minimal one.
        failure = {
          operation: op.id,
          problem,
          request,
          curl: toCurl(options.baseUrl, request, options.token),
          status: 'error' in sent ? undefined : sent.status,
          body: 'error' in sent ? '' : sent.body.slice(0, 500),
        };
        return false;
      });
      await fc.check(property, { seed: seed + index, numRuns: runs });
      const result = { operation: op.id, requests, failure };
      results.push(result);
      options.onOperation?.(result);
    }
    const failures = results.flatMap((r) => (r.failure ? [r.failure] : []));
    return {
      baseUrl: options.baseUrl,
      seed,
      runs,
      requests: results.reduce((n, r) => n + r.requests, 0),
      operations: results,
      failures,
      ok: failures.length === 0,
    };
  } finally {
    await pool.close();
  }
}

async function fetchDocument(pool: Pool, path: string): Promise<unknown> {
  const res = await pool.request({ method: 'GET', path, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await res.body.text();
  if (res.statusCode !== 200) {
    throw new Error(
      `GET ${path} answered ${res.statusCode}: no OpenAPI document there (${text.slice(0, 200)})`,
    );
  }
  return JSON.parse(text);
}

async function send(
  pool: Pool,
  prefix: string,
  request: FuzzRequest,
  timeoutMs: number,
): Promise<FuzzResponse | { error: string }> {
  try {
    const res = await pool.request({
      method: request.method as 'GET',
      path: joinUrl(prefix, request.path),
      headers: request.headers,
      body: request.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const body = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { error: [e.code, e.message].filter(Boolean).join(': ') || String(err) };
  }
}
