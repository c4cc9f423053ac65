import './http/route-config.ts';
import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import type { AuthOptions } from './auth/auth-options.ts';
import { isKitRoute } from './auth/kit-routes.ts';
import { BEARER_SECURITY_SCHEME } from './auth/route-access.ts';
import { createServiceAuth } from './auth/service-auth.ts';
import type { ServiceTokenSource } from './auth/service-token.ts';
import { serviceTokenFrom } from './auth/service-token-config.ts';
import { ClientHub } from './client/client-hub.ts';
import type { ClientRouteMap } from './client/client-routes.ts';
import type { InstanceSource } from './client/instance-source.ts';
import type { ClientOptions, ServiceClient } from './client/service-client.ts';
import { coreConfigSchema } from './config/core-config.ts';
import { type ConfigSchema, type ConfigValues, loadConfig } from './config/load-config.ts';
import type { ErrorMapper } from './errors/outrig-error.ts';
import { CoreErrors } from './errors.ts';
import { Readiness, type ReadinessCheck, registerHealthRoutes } from './health/health.ts';
import { startHealthListener } from './health/health-listener.ts';
import { envelopeHook, type KitRouteConfig, wrapResponseSchemas } from './http/envelope.ts';
import { toOutrigError } from './http/error-mapping.ts';
import { documentErrorResponses } from './http/error-responses.ts';
import { clientErrorHandler, frameworkErrorHandler, sendError } from './http/framework-errors.ts';
import { KitLogController } from './http/kit-log-controller.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from './http/request-id.ts';
import { hasOverlongSegment, pathOf, RouteTable } from './http/route-table.ts';
import { computeSecurityHeaders, DEFAULT_HELMET_OPTIONS } from './http/security-headers.ts';
import { type CloseHook, Lifecycle } from './lifecycle/lifecycle.ts';
import { registerHttpMetrics } from './metrics/http-metrics.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { registerOpenApi } from './openapi/openapi.ts';
import { registerRateLimits } from './rate-limit/rate-limits.ts';
import { traceLogFields } from './telemetry/log-correlation.ts';
import { registerRouteSpanNames } from './telemetry/route-span-name.ts';
import { describeTracing } from './telemetry/tracing-config.ts';
import { activeTracing, flushTracing } from './telemetry/tracing-state.ts';
import { httpsOptions } from './tls/tls-config.ts';
import {
  ApiVersions,
  parseVersionedPath,
  type VersionInfo,
  type VersionOptions,
} from './versioning/api-versions.ts';
import {
  registerVersionHeaders,
  registerVersioningRoutes,
  versionRewriter,
} from './versioning/versioning-routes.ts';

/** Log fields never written in clear (secrets that handlers might log by accident). */
const REDACTED_LOG_PATHS = [
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'body.password',
  'body.token',
];

/** The Fastify instance a service exposes, typed for TypeBox schemas. */
export type ServiceApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export type CoreConfig = ConfigValues<typeof coreConfigSchema>;

export interface CreateServiceOptions<S extends ConfigSchema = Record<string, never>> {
  /** Service name; `SERVICE_NAME` overrides it. Required if `SERVICE_NAME` is unset. */
  name?: string;
  /** Default port when `SERVICE_PORT` is unset. */
  port?: number;
  /** One-line description for OpenAPI. */
  description?: string;
  /** Extra config keys of this service, validated with the core ones at start. */
  config?: S;
  /** Environment to read config from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Version metadata by number (deprecation, sunset, successor). */
  versions?: Record<number, VersionOptions>;
  /** Where log lines go (tests capture them). Default stdout. */
  logStream?: pino.DestinationStream;
  /** Token verification: default route mode, key source, JWKS tuning (JWT_* config for the rest). */
  auth?: AuthOptions;
  /**
   * `false`: the service has no API versions of its own — no version rewriting, no `/api/versions`
   * and no `/api/*` fallback (the gateway routes `/api/…` itself). Default true.
   */
  versioning?: boolean;
  /** Served at `/openapi.json` instead of the document generated from the routes (the gateway's merged one). */
  openapiDocument?: () => Promise<unknown>;
}

/** A running (or ready-to-start) service built with the kit. */
export interface Service<C = CoreConfig> {
  readonly name: string;
  readonly config: C;
  readonly app: ServiceApp;
  readonly log: FastifyBaseLogger;
  readonly metrics: Metrics;
  /**
   * Service tokens (client-credentials grant) for calls this service makes in its own name,
   * when `AUTH_TOKEN_URL`, `AUTH_CLIENT_ID` and `AUTH_CLIENT_SECRET` are set; the service
   * client then sends one on every call not made for a caller with a token.
   */
  readonly serviceToken: ServiceTokenSource | undefined;
  /** Declares routes of API version `n` under `/api/v{n}`. */
  version(
    n: number,
    register: (api: ServiceApp) => void | Promise<void>,
    options?: VersionOptions,
  ): Service<C>;
  /**
   * Adds an error mapper: the error handler asks each (in order) to turn an error it does not
   * know into a coded error before answering 500 `INTERNAL_ERROR`. `connectDatabase` adds the
   * PostgreSQL one (constraint and data errors → 4xx, an unavailable database → 503).
   */
  mapErrors(mapper: ErrorMapper): Service<C>;
  /**
   * Sets the AsyncAPI 3.0 document served at `/asyncapi.json` (with the docs, `DOCS_ENABLED`):
   * `connectMessaging` sets it from the events the service declares it publishes and consumes;
   * the gateway sets the merged one. Until set, the document lists no channels.
   */
  describeEvents(document: () => unknown | Promise<unknown>): Service<C>;
  /** Adds a `/ready` check. */
  readiness(name: string, check: ReadinessCheck): Service<C>;
  /** Registers a resource to close at shutdown (reverse order). */
  onClose(name: string, hook: CloseHook): Service<C>;
  /**
   * A client of another service: instances from `useInstances` or `<NAME>_URL`, round robin
   * skipping failing instances, timeout, safe retries, a circuit breaker per target, request id,
   * trace context and token propagation. See docs/guides/calling-other-services.md.
   */
  client<R extends ClientRouteMap | undefined = undefined>(
    target: string,
    options?: ClientOptions<R>,
  ): ServiceClient<R>;
  /** Finds the services this one calls through `source` (a registry) instead of `<NAME>_URL`. */
  useInstances(source: InstanceSource): Service<C>;
  /** Listens on SERVICE_HOST:SERVICE_PORT and handles SIGTERM/SIGINT. Resolves with the URL. */
  start(options?: { signals?: boolean }): Promise<string>;
  /** Graceful stop: drain, close hooks. Resolves true when clean. */
  stop(): Promise<boolean>;
  /** The declared API versions with their status (as `GET /api/versions`), for registry metadata. */
  apiVersions(): VersionInfo[];
}

/**
 * Builds a service with every contract on by default: config, envelope and coded errors,
 * versioning, health, metrics, OpenAPI + docs, request ids, logs, security headers, CORS,
 * graceful shutdown. Throws `CONFIG_INVALID` when the environment is wrong (see `runService`).
 *
 * @example
 * const service = createService({ name: 'inventory-service', port: 8004 });
 * service.version(1, (api) => {
 *   api.get('/products/:id', { schema: { params: Type.Object({ id: Type.String() }) } },
 *     async (req) => products.get(req.params.id));
 * });
 * await service.start();
 */
export function createService<S extends ConfigSchema = Record<string, never>>(
  options: CreateServiceOptions<S> = {},
): Service<CoreConfig & ConfigValues<S>> {
  const schema = {
    ...coreConfigSchema,
    serviceName: { ...coreConfigSchema.serviceName, default: options.name },
    port: { ...coreConfigSchema.port, default: options.port ?? coreConfigSchema.port.default },
    ...options.config,
  };
  const config = loadConfig(schema, options.env ?? process.env) as unknown as CoreConfig & ConfigValues<S>;
  const name = config.serviceName;
  const tracing = config.tracingEnabled ? activeTracing() : undefined;
  tracing?.nameService(name);

  const versions = new ApiVersions({ pinned: config.apiVersion, latestCap: config.latestApiVersion });
  for (const [n, meta] of Object.entries(options.versions ?? {})) versions.declare(Number(n), meta);
  const routes = new RouteTable();
  const readiness = new Readiness();
  const lifecycle = new Lifecycle();
  const metrics = createMetrics({ service: name });
  const access = createServiceAuth(config, options.auth, name, metrics);

  const logger = pino(
    {
      level: config.logLevel,
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Explicit paths: wildcard redaction costs several µs per log line (measured in bench:kit-inject).
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      // trace_id/span_id of the active span on every line (one context lookup when tracing is off).
      mixin: traceLogFields,
    },
    options.logStream ?? pino.destination({ sync: false }),
  );

  const errorMappers: ErrorMapper[] = [];
  const toError = (err: unknown) =>
    toOutrigError(err, { limit: config.bodyLimitBytes, mappers: errorMappers });
  const securityHeaders = computeSecurityHeaders(DEFAULT_HELMET_OPTIONS);
  // TLS_CERT_FILE/TLS_KEY_FILE: HTTPS; with TLS_CLIENT_CA_FILE, client certificates required.
  const https = httpsOptions(config);

  const app = Fastify({
    loggerInstance: logger,
    // Errors raised before a route runs (a URL that does not decode, an unparsable request) are
    // answered in the envelope too, not in Fastify's or Node's own bodies.
    frameworkErrors: frameworkErrorHandler(toError, securityHeaders, REQUEST_ID_HEADER),
    clientErrorHandler,
    logController: new KitLogController(),
    genReqId: requestIdFrom,
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: false,
    ...(https ? { https } : {}),
    ...(config.trustProxy.length > 0 ? { trustProxy: config.trustProxy } : {}),
    ...(options.versioning === false ? {} : { rewriteUrl: versionRewriter(versions, config.unversioned) }),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as ServiceApp;
  app.decorateRequest('principal', undefined);

  const serviceToken = serviceTokenFrom(config);
  const clients = new ClientHub({
    config,
    env: options.env ?? process.env,
    metrics,
    log: app.log,
    ...(serviceToken ? { defaultToken: () => serviceToken.token() } : {}),
  });
  // Registered first, so it runs last: handlers draining at shutdown can still call other services.
  lifecycle.onClose('service clients', () => clients.close());

  const rateLimitedByDefault = config.rateLimitEnabled;
  const latestLabel = () => `v${versions.latest() ?? 1}`;

  app.addHook('onRoute', (route) => {
    const versioned = parseVersionedPath(route.url);
    route.config ??= {};
    const config = route.config as KitRouteConfig & { fallback?: boolean };
    if (versioned && !config.fallback) {
      config.apiVersion = versioned.version;
      versions.addRoute(versioned.version, route.method, versioned.rest);
      route.schema ??= {};
      const s = route.schema as { tags?: string[] };
      s.tags = [...(s.tags ?? []), `v${versioned.version}`];
    }
    if (!config.fallback) routes.add(route.method, route.url);
    if (isKitRoute(route.url, config)) route.config.rateLimit ??= false;
    access.onRoute(route);
    documentErrorResponses(route, { rateLimited: rateLimitedByDefault });
    wrapResponseSchemas(route);
  });

  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders);
    reply.header(REQUEST_ID_HEADER, request.id);
    if (readiness.shuttingDown && request.url !== '/health') {
      reply.header('connection', 'close');
      done(CoreErrors.SHUTTING_DOWN());
      return;
    }
    done();
  });
  app.addHook('preSerialization', envelopeHook(latestLabel));

  app.setErrorHandler((err, request, reply) => {
    const error = toError(err);
    if (error.status >= 500 && error.code === 'INTERNAL_ERROR') {
      request.log.error({ err }, 'unhandled error');
    } else if (error.status >= 500) {
      request.log.warn({ code: error.code, err: error.cause ?? error }, error.message);
    }
    sendError(reply, error);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const methods = routes.methodsFor(path);
    // A route for this very method exists: the router refused an over-long path parameter.
    if (routes.has(request.method, path) && hasOverlongSegment(path)) {
      sendError(reply, CoreErrors.PATH_PARAM_TOO_LONG());
      return;
    }
    const error =
      methods.size > 0
        ? CoreErrors.METHOD_NOT_ALLOWED({ params: { method: request.method, path } })
        : CoreErrors.NOT_FOUND({ params: { method: request.method, path } });
    if (methods.size > 0) reply.header('allow', [...methods].sort().join(', '));
    reply.code(error.status).send({ error: error.toJSON() });
  });

  if (config.corsOrigins.length > 0) {
    app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      allowedHeaders: [
        'content-type',
        'authorization',
        REQUEST_ID_HEADER,
        'api-version',
        'accept-version',
        'traceparent',
        'tracestate',
        'baggage',
      ],
      exposedHeaders: [
        REQUEST_ID_HEADER,
        'api-version',
        'deprecation',
        'sunset',
        'link',
        'retry-after',
        'www-authenticate',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
      ],
    });
  }
  if (config.docsEnabled) {
    registerOpenApi(app as unknown as FastifyInstance, {
      title: name,
      description: options.description,
      version: latestLabel,
      securitySchemes: access.verifies ? BEARER_SECURITY_SCHEME : undefined,
      document: options.openapiDocument,
    });
  }
  const root = app as unknown as FastifyInstance;
  registerVersionHeaders(root, versions);
  if (config.metricsEnabled) registerHttpMetrics(root, metrics);
  if (tracing) registerRouteSpanNames(root);
  const limits = registerRateLimits(root, {
    enabled: config.rateLimitEnabled,
    max: config.rateLimitMax,
    windowMs: config.rateLimitWindowMs,
    exemptRoles: config.rateLimitExemptRoles,
    principals: access.verifies,
    redisUrl: config.redisUrl,
    service: name,
    log: app.log,
  });
  if (limits.check) readiness.add('redis', limits.check);
  lifecycle.onClose('rate-limit redis', () => limits.close());
  let eventsDocument: () => unknown | Promise<unknown> = () => ({
    asyncapi: '3.0.0',
    info: { title: `${name} events`, version: '1' },
    channels: {},
    operations: {},
  });
  // Kit routes load as a plugin after OpenAPI so that they appear in the document.
  app.register(async (scope) => {
    registerHealthRoutes(scope, readiness);
    if (config.docsEnabled) {
      scope.get(
        '/asyncapi.json',
        { config: { envelope: false, metrics: false, log: false }, schema: { hide: true } },
        async () => eventsDocument(),
      );
    }
    if (options.versioning !== false) registerVersioningRoutes(scope, versions);
    if (config.metricsEnabled) {
      scope.get(
        '/metrics',
        { config: { envelope: false, metrics: false, log: false }, schema: { hide: true } },
        async (_req, reply) => {
          reply.type(metrics.registry.contentType);
          return metrics.render();
        },
      );
    }
  });

  let signalsInstalled = false;
  const service: Service<CoreConfig & ConfigValues<S>> = {
    name,
    config,
    app,
    log: app.log,
    metrics,
    serviceToken,
    apiVersions: () => versions.list(),
    version(n, register, versionOptions) {
      versions.declare(n, versionOptions);
      app.register(
        async (scope) => {
          // A deprecated version's operations say so in the OpenAPI document (clients'
          // generators warn; `outrig contract check` allows breaking changes to them).
          if (versionOptions?.deprecated !== undefined) {
            scope.addHook('onRoute', (route) => {
              route.schema = { ...route.schema, deprecated: true } as typeof route.schema;
            });
          }
          await register(scope as ServiceApp);
        },
        { prefix: `/api/v${n}` },
      );
      return service;
    },
    mapErrors(mapper) {
      errorMappers.push(mapper);
      return service;
    },
    describeEvents(document) {
      eventsDocument = document;
      return service;
    },
    readiness(checkName, check) {
      readiness.add(checkName, check);
      return service;
    },
    onClose(hookName, hook) {
      lifecycle.onClose(hookName, hook);
      return service;
    },
    client(target, clientOptions) {
      return clients.client(target, clientOptions);
    },
    useInstances(source) {
      clients.useInstances(source);
      return service;
    },
    async start(startOptions) {
      const url = await app.listen({ host: config.host, port: config.port });
      if (config.healthPort !== undefined) {
        const health = await startHealthListener(root, config.host, config.healthPort);
        lifecycle.onClose(
          'health listener',
          () => new Promise<void>((resolve) => health.close(() => resolve())),
        );
      }
      app.log.info(
        {
          url,
          versions: versions.list().map((v) => v.version),
          tracing: config.tracingEnabled ? describeTracing(activeTracing()?.settings) : 'off',
        },
        `${name} listening`,
      );
      if (startOptions?.signals !== false && !signalsInstalled) {
        signalsInstalled = true;
        const onSignal = (signal: NodeJS.Signals) => {
          app.log.info({ signal }, 'shutting down');
          void service.stop().then((clean) => {
            logger.flush();
            process.exitCode = clean ? 0 : 1;
            setImmediate(() => process.exit());
          });
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      }
      return url;
    },
    stop() {
      readiness.shuttingDown = true;
      // Spans are flushed last, so those of the final requests and close hooks are exported.
      return lifecycle
        .close(app as unknown as FastifyInstance, app.log, config.shutdownTimeoutMs)
        .then(async (clean) => {
          await flushTracing();
          return clean;
        });
    },
  };
  return service;
}
