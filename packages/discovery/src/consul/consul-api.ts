import { DiscoveryErrors } from '../errors.ts';

export interface ConsulApiOptions {
  /** Agent base URL, `http://host:8500`. */
  baseUrl: string;
  /** ACL token, sent as `X-Consul-Token`. */
  token?: string;
  /** Deadline of one call unless the call sets its own. */
  timeoutMs: number;
}

export interface ConsulResponse {
  status: number;
  /** `X-Consul-Index`, when the endpoint sends one. */
  index: number | undefined;
  body: unknown;
}

/** The few calls the adapter makes to a Consul agent's HTTP API (global fetch = undici). */
export class ConsulApi {
  readonly #o: ConsulApiOptions;

  constructor(options: ConsulApiOptions) {
    this.#o = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  get baseUrl(): string {
    return this.#o.baseUrl;
  }

  /**
   * One request. Resolves with any status the caller lists in `accept` (default 200); other
   * statuses and network errors reject with `REGISTRY_UNAVAILABLE` quoting Consul's message.
   */
  async call(
    method: 'GET' | 'PUT',
    path: string,
    options: { body?: unknown; signal?: AbortSignal; timeoutMs?: number; accept?: number[] } = {},
  ): Promise<ConsulResponse> {
    const signals = [AbortSignal.timeout(options.timeoutMs ?? this.#o.timeoutMs)];
    if (options.signal) signals.push(options.signal);
    const headers: Record<string, string> = {};
    if (this.#o.token) headers['x-consul-token'] = this.#o.token;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.#o.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.any(signals),
      });
      text = await res.text();
    } catch (err) {
      throw unavailable(`${method} ${path}: ${(err as Error).message}`, err);
    }
    if (!(options.accept ?? [200]).includes(res.status)) {
      throw unavailable(`${method} ${path} answered ${res.status}: ${text.trim().slice(0, 200)}`);
    }
    const rawIndex = res.headers.get('x-consul-index');
    let body: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw unavailable(`${method} ${path} sent invalid JSON`, err);
      }
    }
    return { status: res.status, index: rawIndex === null ? undefined : Number(rawIndex), body };
  }
}

function unavailable(reason: string, cause?: unknown) {
  return DiscoveryErrors.REGISTRY_UNAVAILABLE({ params: { kind: 'consul', reason }, cause });
}
