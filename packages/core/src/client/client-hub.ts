import type { FastifyBaseLogger } from 'fastify';
import { Agent } from 'undici';
import type { ConfigValues } from '../config/load-config.ts';
import { CoreErrors } from '../errors.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { isBreakerFailure, type TargetRuntime } from './client-call.ts';
import type { clientConfigSchema } from './client-config.ts';
import { type ClientMetrics, createClientMetrics } from './client-metrics.ts';
import { type ClientRouteMap, defineClientRoutes } from './client-routes.ts';
import { InstanceBalancer } from './instance-balancer.ts';
import {
  type InstanceSource,
  instancesFromEnv,
  type ServiceInstanceRef,
  urlVariableFor,
} from './instance-source.ts';
import type { TokenProvider } from './propagation.ts';
import {
  type ClientOptions,
  type ClientSettings,
  type ServiceClient,
  ServiceClientImpl,
} from './service-client.ts';
import { CIRCUIT_GAUGE, TargetCircuit } from './target-circuit.ts';

export type ClientConfig = ConfigValues<typeof clientConfigSchema>;

export interface ClientHubOptions {
  config: ClientConfig;
  /** The environment `<TARGET>_URL` variables are read from (the service's). */
  env: Readonly<Record<string, string | undefined>>;
  metrics: Metrics;
  log: FastifyBaseLogger;
  /** Token for calls made in the service's own name (a service token source), unless a client sets one. */
  defaultToken?: TokenProvider;
}

const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The service clients of one service: one undici agent (a keep-alive connection pool per
 * instance), and per target one instance balancer and one circuit breaker, shared by every
 * client of that target. Instances come from the source set with `useInstances` (a registry),
 * else from `<TARGET>_URL`. `close()` stops watches and closes the pools.
 */
export class ClientHub {
  readonly #options: ClientHubOptions;
  readonly #targets = new Map<string, TargetRuntime>();
  #agent: Agent | undefined;
  #metrics: ClientMetrics | undefined;
  #source: InstanceSource | undefined;
  #closed = false;

  constructor(options: ClientHubOptions) {
    this.#options = options;
  }

  /** A client of `target`; see `Service.client`. */
  client<R extends ClientRouteMap | undefined = undefined>(
    target: string,
    options: ClientOptions<R> = {},
  ): ServiceClient<R> {
    if (typeof target !== 'string' || !TARGET_NAME.test(target)) {
      throw invalid(`target "${String(target)}" is not a service name`);
    }
    if (options.routes) defineClientRoutes(options.routes as ClientRouteMap);
    const { config } = this.#options;
    const settings: ClientSettings = {
      timeoutMs: options.timeoutMs ?? config.clientTimeoutMs,
      retries: options.retries ?? config.clientRetries,
      retryDelayMs: config.clientRetryDelayMs,
      retryMaxDelayMs: config.clientRetryMaxDelayMs,
      token: options.token ?? this.#options.defaultToken,
      headers: Object.fromEntries(
        Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      ),
    };
    if (!Number.isInteger(settings.timeoutMs) || settings.timeoutMs < 1) {
      throw invalid(`timeoutMs must be a positive integer (got ${settings.timeoutMs})`);
    }
    if (!Number.isInteger(settings.retries) || settings.retries < 0 || settings.retries > 10) {
      throw invalid(`retries must be an integer from 0 to 10 (got ${settings.retries})`);
    }
    if (
      settings.token !== undefined &&
      typeof settings.token !== 'string' &&
      typeof settings.token !== 'function'
    ) {
      throw invalid('token must be a string or a function returning one');
    }
    return new ServiceClientImpl(this.#runtime(target), settings) as unknown as ServiceClient<R>;
  }

  /** Resolves targets through `source` from now on (replaces `<TARGET>_URL`). */
  useInstances(source: InstanceSource): void {
    if (typeof source?.list !== 'function') throw invalid('useInstances needs an object with list(name)');
    this.#source = source;
    for (const runtime of this.#targets.values()) runtime.balancer.reset();
  }

  /** Stops watching instance lists and closes every connection pool. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const runtime of this.#targets.values()) runtime.balancer.reset();
    const agent = this.#agent;
    this.#agent = undefined;
    await agent?.close();
  }

  #runtime(target: string): TargetRuntime {
    const existing = this.#targets.get(target);
    if (existing) return existing;
    const { config, env, log } = this.#options;
    this.#metrics ??= createClientMetrics(this.#options.metrics);
    const metrics = this.#metrics;
    metrics.circuitState.set({ target }, CIRCUIT_GAUGE.closed);
    // Parsed again only when the variable changes (tests and launchers may set it late).
    let parsed: { raw: string | undefined; list: ServiceInstanceRef[] } | undefined;
    const fromEnv = () => {
      const raw = env[urlVariableFor(target)];
      if (!parsed || parsed.raw !== raw) parsed = { raw, list: instancesFromEnv(target, env) };
      return parsed.list;
    };
    const runtime: TargetRuntime = {
      target,
      metrics,
      balancer: new InstanceBalancer({
        target,
        provider: () =>
          this.#source ? { kind: 'source', source: this.#source } : { kind: 'static', list: fromEnv },
        outlierFailures: config.clientOutlierFailures,
        outlierCooldownMs: config.clientOutlierCooldownMs,
        ttlMs: config.clientDiscoveryTtlMs,
      }),
      circuit: new TargetCircuit({
        target,
        enabled: config.circuitBreakerEnabled,
        failureThreshold: config.circuitBreakerFailureThreshold,
        recoveryTimeoutMs: config.circuitBreakerRecoveryTimeoutMs,
        isFailure: isBreakerFailure,
        onStateChange: (state) => {
          metrics.circuitState.set({ target }, CIRCUIT_GAUGE[state]);
          const line = { target, circuit: state };
          if (state === 'open') log.warn(line, `circuit to ${target} opened`);
          else log.info(line, `circuit to ${target} ${state}`);
        },
      }),
      dispatcher: () => this.#dispatcher(),
    };
    this.#targets.set(target, runtime);
    return runtime;
  }

  #dispatcher(): Agent {
    if (this.#closed) {
      // A call after shutdown (a late background task) gets a clear error rather than a new pool.
      throw CoreErrors.SHUTTING_DOWN();
    }
    this.#agent ??= new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000 });
    return this.#agent;
  }
}

function invalid(reason: string) {
  return CoreErrors.CLIENT_OPTIONS_INVALID({ params: { reason } });
}
