/**
 * The one base error of every Outrig package. Each package declares its codes once, in its own
 * `errors.ts`, with {@link defineErrors}; `docs/errors.md` lists them all (a test checks).
 *
 * This file has no dependencies so that every package (db, messaging, adapters) can use it
 * through `@outrig/core/errors` without pulling in the HTTP kit.
 */

/** What a package declares for one error code. */
export interface ErrorSpec {
  /** HTTP status the code maps to when it reaches a client. */
  readonly status: number;
  /** Default, human-readable message. `{name}` placeholders are filled from `params`. */
  readonly message: string;
  /** Whether the same call may succeed if retried later (network, lock, overload). */
  readonly retryable?: boolean;
  /** Sent as `Retry-After` (seconds) with a retryable 503 of this code. Default 1. */
  readonly retryAfterSeconds?: number;
}

export interface OutrigErrorOptions {
  /** Replaces the catalog message. */
  message?: string;
  /** Values for `{name}` placeholders in the catalog message. */
  params?: Record<string, string | number | boolean>;
  /** Structured, client-safe detail (field errors, ids). Sent in the error envelope. */
  details?: Record<string, unknown>;
  /** The underlying error. Logged, never sent to clients. */
  cause?: unknown;
  /** Overrides the catalog's `retryable`. */
  retryable?: boolean;
}

/** A coded error: `code` is stable and documented, `status` maps to HTTP, `cause` is never sent. */
export class OutrigError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  /** `Retry-After` (seconds) the kit sends with this error when it is a retryable 503. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, spec: ErrorSpec, options: OutrigErrorOptions = {}) {
    super(options.message ?? fill(spec.message, options.params), { cause: options.cause });
    this.name = 'OutrigError';
    this.code = code;
    this.status = spec.status;
    this.retryable = options.retryable ?? spec.retryable ?? false;
    this.details = options.details;
    this.retryAfterSeconds = spec.retryAfterSeconds;
  }

  /** The client-facing shape used in the `{ error: … }` envelope. */
  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** A factory per code, plus the catalog itself for documentation checks. */
export type ErrorFactories<C extends Record<string, ErrorSpec>> = {
  readonly [K in keyof C]: (options?: OutrigErrorOptions) => OutrigError;
} & { readonly catalog: C };

/**
 * Declares a package's error codes once and returns one factory per code.
 *
 * @example
 * export const DbErrors = defineErrors({
 *   DB_MIGRATION_MISMATCH: { status: 500, message: 'Applied migration {id} differs from its file' },
 * });
 * throw DbErrors.DB_MIGRATION_MISMATCH({ params: { id: '0001_init' } });
 */
export function defineErrors<const C extends Record<string, ErrorSpec>>(catalog: C): ErrorFactories<C> {
  const factories: Record<string, unknown> = { catalog };
  for (const [code, spec] of Object.entries(catalog)) {
    factories[code] = (options?: OutrigErrorOptions) => new OutrigError(code, spec, options);
  }
  return factories as ErrorFactories<C>;
}

/**
 * Turns an error the kit does not know (a driver's, a library's) into a coded {@link OutrigError},
 * or returns `undefined` to let the next mapper (and finally `INTERNAL_ERROR`) have it. A package
 * that knows its errors provides one (`@outrig/db`: PostgreSQL errors) and registers it with
 * `service.mapErrors(mapper)`; the kit's error handler asks every mapper before answering 500.
 */
export type ErrorMapper = (err: unknown) => OutrigError | undefined;

/** True when `err` is an {@link OutrigError}, optionally with the given code. */
export function isOutrigError(err: unknown, code?: string): err is OutrigError {
  return err instanceof OutrigError && (code === undefined || err.code === code);
}

function fill(template: string, params?: Record<string, string | number | boolean>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
