export type { ApiAuth, ApiOperation, ApiParameter, JsonSchema } from './api-operation.ts';
export { apiOperations } from './api-operation.ts';
export type { FuzzResponse } from './check-response.ts';
export {
  type FuzzApiOptions,
  type FuzzFailure,
  type FuzzReport,
  fuzzApi,
  type OperationResult,
} from './fuzz-api.ts';
export { type FuzzRequest, type TokenVariant, toCurl } from './fuzz-request.ts';
