export { gatewayConfig } from './config/gateway-config.ts';
export { routesFile, routesJson } from './config/routes-config.ts';
export {
  type CreateGatewayOptions,
  createGateway,
  type Gateway,
  type GatewayConfig,
} from './create-gateway.ts';
export { GatewayErrors } from './errors.ts';
export {
  type MergeInput,
  type MergeOptions,
  mergeOpenApi,
  type OpenApiDocument,
} from './openapi/merge-openapi.ts';
export {
  type CompiledRoute,
  type CompileResult,
  compileRoutes,
  type GatewayAuthMode,
  type GatewayRateLimit,
  type GatewayRoute,
} from './routes/gateway-route.ts';
export {
  createRouteMatcher,
  fastifyPatterns,
  type RouteMatch,
  type RouteMatcher,
} from './routes/route-matcher.ts';
export {
  CIRCUIT_STATES,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
} from './upstream/circuit-breaker.ts';
export type { InstanceRecord, InstanceSource, Upstream } from './upstream/upstream.ts';
