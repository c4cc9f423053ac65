export type { Static, TSchema } from 'typebox';
export { Type } from 'typebox';
export {
  bool,
  type ConfigKey,
  int,
  list,
  oneOf,
  port,
  str,
  url,
} from './config/config-key.ts';
export { coreConfigSchema, LOG_LEVELS } from './config/core-config.ts';
export {
  type ConfigProblem,
  type ConfigSchema,
  type ConfigValues,
  describeConfig,
  loadConfig,
} from './config/load-config.ts';
export {
  type CoreConfig,
  type CreateServiceOptions,
  createService,
  type Service,
  type ServiceApp,
} from './create-service.ts';
export {
  defineErrors,
  type ErrorFactories,
  type ErrorSpec,
  isOutrigError,
  OutrigError,
  type OutrigErrorOptions,
} from './errors/outrig-error.ts';
export { CoreErrors } from './errors.ts';
export type { ReadinessCheck } from './health/health.ts';
export { ErrorEnvelopeSchema, envelopeOf, type KitRouteConfig, MetadataSchema } from './http/envelope.ts';
export type { FieldError } from './http/error-mapping.ts';
export { REQUEST_ID_HEADER } from './http/request-id.ts';
export type { CloseHook } from './lifecycle/lifecycle.ts';
export { createMetrics, type Metrics } from './metrics/metrics.ts';
export { runService } from './run-service.ts';
export type { VersionInfo, VersionOptions } from './versioning/api-versions.ts';
