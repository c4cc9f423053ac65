export type { Static, TSchema } from 'typebox';
export { Type } from 'typebox';
export type { AuthOptions } from './auth/auth-options.ts';
export {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  createJwtVerifier,
  JWT_VERIFIER_DEFAULTS,
  type JwtVerifier,
  type JwtVerifierOptions,
} from './auth/jwt-verifier.ts';
export {
  AUTH_MODES,
  type AuthMode,
  callerToken,
  type Principal,
  principalFromClaims,
} from './auth/principal.ts';
export {
  createServiceTokenSource,
  type ServiceTokenSource,
  type ServiceTokenSourceOptions,
} from './auth/service-token.ts';
export { CROSS_TENANT_ROLE, type TenantScope, tenantOf, tenantScope } from './auth/tenant.ts';
export { clientConfigSchema } from './client/client-config.ts';
export type { CallOutcome } from './client/client-metrics.ts';
export {
  type ClientRoute,
  type ClientRouteMap,
  defineClientRoutes,
  type HttpMethod,
  type QueryValues,
  type RouteData,
  type RoutePaths,
} from './client/client-routes.ts';
export { type InstanceSource, type ServiceInstanceRef, urlVariableFor } from './client/instance-source.ts';
export type { CallerRequest, TokenProvider } from './client/propagation.ts';
export type {
  CallOptions,
  ClientOptions,
  ServiceClient,
  TypedCallOptions,
  TypedServiceClient,
  UntypedServiceClient,
} from './client/service-client.ts';
export type { CircuitStateName } from './client/target-circuit.ts';
export type { ClientResponse } from './client/upstream-response.ts';
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
  type ErrorMapper,
  type ErrorSpec,
  isOutrigError,
  OutrigError,
  type OutrigErrorOptions,
} from './errors/outrig-error.ts';
export { CoreErrors } from './errors.ts';
export type { ReadinessCheck } from './health/health.ts';
export { ErrorEnvelopeSchema, envelopeOf, type KitRouteConfig, MetadataSchema } from './http/envelope.ts';
export type { FieldError } from './http/error-mapping.ts';
export { errorResponse } from './http/error-responses.ts';
export { REQUEST_ID_HEADER } from './http/request-id.ts';
export type { CloseHook } from './lifecycle/lifecycle.ts';
export { createMetrics, type Metrics } from './metrics/metrics.ts';
export { duration, parseDuration } from './rate-limit/duration.ts';
export { runService } from './run-service.ts';
export { traceLogFields } from './telemetry/log-correlation.ts';
export {
  describeTracing,
  type OtlpProtocol,
  type SpanExport,
  TRACE_SAMPLERS,
  type TraceSamplerName,
  type TracingSettings,
  tracingConfigSchema,
  tracingSettingsFromEnv,
} from './telemetry/tracing-config.ts';
export { activeTracing, flushTracing, type TracingHandle } from './telemetry/tracing-state.ts';
export type { VersionInfo, VersionOptions } from './versioning/api-versions.ts';
