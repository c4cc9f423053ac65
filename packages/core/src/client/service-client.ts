import { CoreErrors } from '../errors.ts';
import { type CallPlan, executeCall, type TargetRuntime } from './client-call.ts';
import {
  buildPath,
  type ClientRouteMap,
  type HttpMethod,
  type QueryValues,
  type RouteAt,
  type RouteData,
  type RouteInput,
  type RoutePaths,
} from './client-routes.ts';
import {
  type CallerRequest,
  normalizeHeaders,
  propagatedHeaders,
  type TokenProvider,
} from './propagation.ts';
import type { CircuitStateName } from './target-circuit.ts';
import type { ClientResponse } from './upstream-response.ts';

/** Options of `service.client(name, options)`. Unset values come from the service's config. */
export interface ClientOptions<R extends ClientRouteMap | undefined = undefined> {
  /** The called service's routes (`defineClientRoutes`), for typed calls. Only its type is used. */
  routes?: R;
  /** Timeout of each attempt, ms. Default `CLIENT_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** Retries of a retryable failure. Default `CLIENT_RETRIES`. */
  retries?: number;
  /** Bearer token for calls not made for a caller with a token: a string or a token source. */
  token?: TokenProvider;
  /** Headers sent with every call. */
  headers?: Record<string, string>;
}

/** Options of one call. */
export interface CallOptions {
  /** Values of the path's `:params` (URL-encoded). */
  params?: Readonly<Record<string, string | number>>;
  query?: QueryValues;
  /** JSON body. */
  body?: unknown;
  headers?: Record<string, string | undefined>;
  /** Timeout of each attempt, ms. */
  timeoutMs?: number;
  retries?: number;
  /** Sends `Idempotency-Key`, which makes a POST or PATCH retryable. */
  idempotencyKey?: string;
  /** The incoming request this call serves: propagates its request id and the caller's token. */
  request?: CallerRequest;
  /** Bearer token for this call (wins over the caller's and the client's). */
  token?: TokenProvider;
  /** `false`: return the body as is instead of unwrapping `{ data }` (routes with `envelope: false`). */
  envelope?: boolean;
}

type Args<O> = object extends O ? [options?: O] : [options: O];

/** Options of a typed call to `M P`: the route's params, query and body, typed. */
export type TypedCallOptions<R, M extends HttpMethod, P extends string> = Omit<
  CallOptions,
  'params' | 'query' | 'body'
> &
  RouteInput<R, M, P>;

type TypedCall<R, M extends HttpMethod> = <P extends RoutePaths<R, M>>(
  path: P,
  ...options: Args<TypedCallOptions<R, M, P>>
) => Promise<RouteData<RouteAt<R, M, P>>>;

interface ClientBase {
  /** Name of the called service. */
  readonly target: string;
  /** State of the target's circuit breaker (shared by every client of the target). */
  readonly circuitState: CircuitStateName;
  /** Any method and path, untyped; resolves with status, headers, `data` and `metadata`. */
  request<T = unknown>(method: HttpMethod, path: string, options?: CallOptions): Promise<ClientResponse<T>>;
}

/** A client typed by the called service's route map: paths, params, bodies and `data` checked. */
export interface TypedServiceClient<R extends ClientRouteMap> extends ClientBase {
  get: TypedCall<R, 'GET'>;
  post: TypedCall<R, 'POST'>;
  put: TypedCall<R, 'PUT'>;
  patch: TypedCall<R, 'PATCH'>;
  delete: TypedCall<R, 'DELETE'>;
  /** The same client, propagating this request's id and caller token on every call. */
  forRequest(request: CallerRequest): TypedServiceClient<R>;
}

type UntypedCall = <T = unknown>(path: string, options?: CallOptions) => Promise<T>;

/** A client without a route map: any path, `data` typed by the caller (default `unknown`). */
export interface UntypedServiceClient extends ClientBase {
  get: UntypedCall;
  post: UntypedCall;
  put: UntypedCall;
  patch: UntypedCall;
  delete: UntypedCall;
  /** The same client, propagating this request's id and caller token on every call. */
  forRequest(request: CallerRequest): UntypedServiceClient;
}

/**
 * A client of another service (`service.client(name)`): each method resolves with the `data` of
 * the success envelope and rejects with an `OutrigError` — the callee's own code and status for
 * its errors, or `UPSTREAM_UNAVAILABLE`, `UPSTREAM_TIMEOUT`, `UPSTREAM_BAD_RESPONSE`,
 * `CIRCUIT_OPEN`, `SERVICE_UNRESOLVED`, `SERVICE_NO_INSTANCES`.
 */
export type ServiceClient<R extends ClientRouteMap | undefined = undefined> = R extends ClientRouteMap
  ? TypedServiceClient<R>
  : UntypedServiceClient;

/** Client settings after defaults. */
export interface ClientSettings {
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  token: TokenProvider | undefined;
  headers: Record<string, string>;
}

const IDEMPOTENT = new Set<HttpMethod>(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** The one implementation behind both client types. */
export class ServiceClientImpl implements UntypedServiceClient {
  readonly #runtime: TargetRuntime;
  readonly #settings: ClientSettings;
  readonly #request: CallerRequest | undefined;

  constructor(runtime: TargetRuntime, settings: ClientSettings, request?: CallerRequest) {
    this.#runtime = runtime;
    this.#settings = settings;
    this.#request = request;
  }

  get target(): string {
    return this.#runtime.target;
  }

  get circuitState(): CircuitStateName {
    return this.#runtime.circuit.state;
  }

  forRequest(request: CallerRequest): ServiceClientImpl {
    return new ServiceClientImpl(this.#runtime, this.#settings, request);
  }

  get = <T = unknown>(path: string, options?: CallOptions) => this.#data<T>('GET', path, options);
  post = <T = unknown>(path: string, options?: CallOptions) => this.#data<T>('POST', path, options);
  put = <T = unknown>(path: string, options?: CallOptions) => this.#data<T>('PUT', path, options);
  patch = <T = unknown>(path: string, options?: CallOptions) => this.#data<T>('PATCH', path, options);
  delete = <T = unknown>(path: string, options?: CallOptions) => this.#data<T>('DELETE', path, options);

  async request<T = unknown>(
    method: HttpMethod,
    path: string,
    options: CallOptions = {},
  ): Promise<ClientResponse<T>> {
    const plan = await this.#plan(method, path, options);
    return (await executeCall(this.#runtime, plan)) as ClientResponse<T>;
  }

  async #data<T>(method: HttpMethod, path: string, options?: CallOptions): Promise<T> {
    return (await this.request<T>(method, path, options)).data;
  }

  async #plan(method: HttpMethod, template: string, options: CallOptions): Promise<CallPlan> {
    const target = this.#runtime.target;
    const settings = this.#settings;
    const path = buildPath(target, template, options.params, options.query);
    const given = { ...settings.headers, ...normalizeHeaders(options.headers) };
    if (options.idempotencyKey !== undefined) given['idempotency-key'] = options.idempotencyKey;
    given.accept ??= 'application/json';
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      given['content-type'] ??= 'application/json';
    }
    const headers = await propagatedHeaders({
      headers: given,
      request: options.request ?? this.#request,
      callToken: options.token,
      clientToken: settings.token,
    });
    const timeoutMs = options.timeoutMs ?? settings.timeoutMs;
    const retries = options.retries ?? settings.retries;
    if (!(Number.isInteger(timeoutMs) && timeoutMs > 0) || !(Number.isInteger(retries) && retries >= 0)) {
      throw CoreErrors.CLIENT_REQUEST_INVALID({
        params: {
          target,
          reason: `timeoutMs must be a positive integer and retries ≥ 0 (${timeoutMs}, ${retries})`,
        },
      });
    }
    return {
      method,
      path,
      headers,
      body,
      timeoutMs,
      retries,
      retryDelayMs: settings.retryDelayMs,
      retryMaxDelayMs: settings.retryMaxDelayMs,
      idempotent: IDEMPOTENT.has(method) || headers['idempotency-key'] !== undefined,
      envelope: options.envelope ?? true,
    };
  }
}
