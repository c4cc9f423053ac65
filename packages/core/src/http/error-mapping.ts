import type { FastifyError } from 'fastify';
import { type ErrorMapper, isOutrigError, type OutrigError } from '../errors/outrig-error.ts';
import { CoreErrors } from '../errors.ts';

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** One invalid field in a `VALIDATION_FAILED` error's `details.fields`. */
export interface FieldError {
  /** Where: `body/price/amount`, `params/id`, `querystring/limit`. */
  path: string;
  message: string;
}

/**
 * Turns anything thrown in a request into a coded {@link OutrigError}. Framework errors map to
 * their codes; then each registered mapper (`service.mapErrors`, e.g. `@outrig/db`'s PostgreSQL
 * errors) may claim the error; anything still unknown becomes INTERNAL_ERROR with the original
 * kept as `cause` (for the log) and a generic message (for the client).
 */
export function toOutrigError(
  err: unknown,
  context: { limit: number; mappers?: readonly ErrorMapper[] },
): OutrigError {
  if (isOutrigError(err)) return err;
  for (const mapper of context.mappers ?? []) {
    const mapped = mapper(err);
    if (mapped) return mapped;
  }
  const e = err as Partial<FastifyError> & { validation?: AjvLikeError[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    return CoreErrors.VALIDATION_FAILED({
      details: { fields: e.validation.map((v) => fieldError(e.validationContext ?? 'body', v)) },
    });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return CoreErrors.MALFORMED_JSON({ cause: err });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return CoreErrors.PAYLOAD_TOO_LARGE({ params: { limit: context.limit }, cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return CoreErrors.UNSUPPORTED_MEDIA_TYPE({ message: 'Unsupported content type', cause: err });
    case 'FST_ERR_BAD_URL':
      return CoreErrors.MALFORMED_URL({ cause: err });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return CoreErrors.PATH_PARAM_TOO_LONG({ cause: err });
  }
  if (err instanceof SyntaxError && e.statusCode === 400) return CoreErrors.MALFORMED_JSON({ cause: err });
  const status = e.statusCode ?? 500;
  if (status === 413) return CoreErrors.PAYLOAD_TOO_LARGE({ params: { limit: context.limit }, cause: err });
  if (status === 429) return CoreErrors.RATE_LIMITED({ cause: err });
  if (status >= 400 && status < 500 && typeof e.code === 'string' && e.code.startsWith('FST_')) {
    return CoreErrors.BAD_REQUEST({ message: e.message ?? 'Bad request', cause: err });
  }
  return CoreErrors.INTERNAL_ERROR({ cause: err });
}

function fieldError(context: string, v: AjvLikeError): FieldError {
  let path = `${context}${v.instancePath ?? ''}`;
  const missing = v.params?.missingProperty;
  if (v.keyword === 'required' && typeof missing === 'string') path += `/${missing}`;
  const extra = v.params?.additionalProperty;
  if (v.keyword === 'additionalProperties' && typeof extra === 'string') path += `/${extra}`;
  return { path, message: v.message ?? 'is invalid' };
}
