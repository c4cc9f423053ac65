import { randomBytes } from 'node:crypto';
import type { BusPanel } from './bus-panel.ts';
import type { DevHub } from './dev-hub.ts';
import type { LogFilter } from './log-store.ts';
import { MetricsTracker } from './metrics-summary.ts';
import type { OutboxPanel } from './outbox-panel.ts';
import type { RegistryPanel } from './registry-panel.ts';
import type { SagaPanel } from './saga-panel.ts';
import { fetchMetricsText, probeService } from './service-probe.ts';
import type { TraceFilter } from './trace-store.ts';

/** A service of the system as the dashboard shows it. */
export interface DashboardService {
  readonly name: string;
  readonly kind: string;
  readonly url: string;
  readonly port: number;
  readonly database: boolean;
  /** The token issuer (`auth: true` in outrig.json). */
  readonly auth: boolean;
}

/** Stop and start a service of this run (the dashboard's buttons). */
export interface ServiceControl {
  stop(service: string): Promise<void>;
  start(service: string): Promise<void>;
}

/** Everything the dashboard's endpoints read from. */
export interface DashboardContext {
  readonly system: string;
  readonly services: readonly DashboardService[];
  readonly hub: DevHub;
  readonly outbox: OutboxPanel;
  readonly sagas: SagaPanel;
  /** The registry the services register in, when the dashboard can read it. */
  readonly registry?: RegistryPanel;
  /** The postgres transport's bus, when the system uses it. */
  readonly bus?: BusPanel;
  readonly control: ServiceControl;
  /** False when the services export their spans elsewhere (OTEL_EXPORTER_OTLP_ENDPOINT was set). */
  readonly receivesTraces?: boolean;
}

/** A JSON answer: status and body. */
export interface ApiResult {
  readonly status: number;
  readonly body: unknown;
}

const ok = (body: unknown): ApiResult => ({ status: 200, body });
export const notFound = (what: string): ApiResult => ({
  status: 404,
  body: { error: { code: 'NOT_FOUND', message: `${what} not found` } },
});
const badRequest = (message: string): ApiResult => ({
  status: 400,
  body: { error: { code: 'VALIDATION_FAILED', message } },
});

/** The JSON endpoints under /api (the page's data). */
export class DashboardApi {
  readonly #ctx: DashboardContext;
  readonly #metrics = new MetricsTracker();

  constructor(ctx: DashboardContext) {
    this.#ctx = ctx;
  }

  /** The system's name and services, without asking them anything (the page's header). */
  info(): ApiResult {
    return ok({
      system: this.#ctx.system,
      services: this.#ctx.services.map((s) => s.name),
      auth: this.#ctx.services.find((s) => s.auth)?.name ?? null,
      gateway: this.#ctx.services.find((s) => s.kind === 'gateway')?.name ?? null,
      receivesTraces: this.#ctx.receivesTraces !== false,
    });
  }

  /** Every service: process, health and readiness, versions, metrics; the observed map. */
  async system(): Promise<ApiResult> {
    const { hub } = this.#ctx;
    const services = await Promise.all(
      this.#ctx.services.map(async (s) => {
        const process = hub.process(s.name) ?? null;
        const stopped = process?.state === 'stopped';
        const [probe, metricsText, registered] = await Promise.all([
          stopped ? undefined : probeService(s.url),
          stopped ? undefined : fetchMetricsText(s.url),
          this.#ctx.registry?.instances(s.name),
        ]);
        return {
          ...s,
          process,
          registry: registered ?? null,
          probe: probe ?? null,
          metrics: metricsText === undefined ? null : this.#metrics.record(s.name, metricsText),
        };
      }),
    );
    const gateway = this.#ctx.services.find((s) => s.kind === 'gateway');
    const bus = await this.#ctx.bus?.view();
    return ok({
      system: this.#ctx.system,
      consumers: bus?.consumers ?? [],
      gateway: gateway?.url ?? null,
      auth: this.#ctx.services.find((s) => s.auth)?.name ?? null,
      services,
      edges: hub.traces.edges(),
    });
  }

  events(): ApiResult {
    return ok({ events: this.#ctx.hub.events(), bus: this.#ctx.hub.busEvents() });
  }

  logs(q: URLSearchParams): ApiResult {
    const filter: LogFilter = {};
    for (const key of ['service', 'level', 'requestId', 'traceId', 'text'] as const) {
      const v = q.get(key);
      if (v) filter[key] = v;
    }
    const after = Number(q.get('after'));
    if (q.get('after') && Number.isFinite(after)) filter.after = after;
    const limit = Number(q.get('limit'));
    if (q.get('limit') && Number.isInteger(limit) && limit > 0) filter.limit = Math.min(limit, 5000);
    return ok({ logs: this.#ctx.hub.logs.query(filter) });
  }

  traces(q: URLSearchParams): ApiResult {
    const filter: TraceFilter = {};
    if (q.get('service')) filter.service = q.get('service')!;
    if (q.get('name')) filter.name = q.get('name')!;
    const status = q.get('status');
    if (status === 'ok' || status === 'error') filter.status = status;
    const min = Number(q.get('minDurationMs'));
    if (q.get('minDurationMs') && Number.isFinite(min)) filter.minDurationMs = min;
    return ok({ traces: this.#ctx.hub.traces.list(filter) });
  }

  trace(id: string): ApiResult {
    const { traces, logs } = this.#ctx.hub;
    const spans = traces.waterfall(id);
    if (spans === undefined) return notFound(`trace ${id}`);
    return ok({ trace: traces.summary(id), spans, logs: logs.query({ traceId: id, limit: 1000 }) });
  }

  async outbox(): Promise<ApiResult> {
    const [outboxes, bus] = await Promise.all([this.#ctx.outbox.views(), this.#ctx.bus?.view()]);
    return ok({ outboxes, bus: bus ?? null });
  }

  async outboxAction(service: string, action: 'retry' | 'skip', body: unknown): Promise<ApiResult> {
    const ids = (body as { ids?: unknown } | undefined)?.ids ?? [];
    if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string' && /^[0-9a-f-]{36}$/i.test(i)))
      return badRequest('ids must be an array of event ids (uuid)');
    if (action === 'skip' && ids.length === 0) return badRequest('say which parked events to skip (ids)');
    const n =
      action === 'retry'
        ? await this.#ctx.outbox.retry(service, ids as string[])
        : await this.#ctx.outbox.skip(service, ids as string[]);
    return n === undefined
      ? notFound(`service ${service} with a database`)
      : ok({ [action === 'retry' ? 'retried' : 'skipped']: n });
  }

  async sagas(): Promise<ApiResult> {
    return ok({ sagas: await this.#ctx.sagas.views() });
  }

  async saga(service: string, id: string): Promise<ApiResult> {
    try {
      const saga = await this.#ctx.sagas.show(service, id);
      return saga === undefined ? notFound(`service ${service} with a database`) : ok({ saga });
    } catch (err) {
      return sagaError(err);
    }
  }

  async sagaAction(
    service: string,
    id: string,
    action: 'retry' | 'abort' | 'resume',
    body: unknown,
  ): Promise<ApiResult> {
    const reason = (body as { reason?: unknown } | undefined)?.reason;
    try {
      const request = await this.#ctx.sagas.act(
        service,
        id,
        action,
        typeof reason === 'string' && reason !== '' ? reason : undefined,
      );
      if (request === undefined) return notFound(`service ${service} with a database`);
      if (request.error) return { status: 409, body: { error: request.error, request } };
      // Not carried out in time: recorded, it runs when the service's saga runtime is up.
      return { status: request.handledAt === null ? 202 : 200, body: { request } };
    } catch (err) {
      return sagaError(err);
    }
  }

  async serviceAction(service: string, action: 'stop' | 'start'): Promise<ApiResult> {
    if (!this.#ctx.services.some((s) => s.name === service)) return notFound(`service ${service}`);
    await (action === 'stop' ? this.#ctx.control.stop(service) : this.#ctx.control.start(service));
    return ok({ service, state: this.#ctx.hub.process(service)?.state ?? null });
  }

  /** The gateway's merged OpenAPI document. */
  async openapi(): Promise<ApiResult> {
    const gateway = this.#ctx.services.find((s) => s.kind === 'gateway');
    if (gateway === undefined) return notFound('a gateway in this system');
    try {
      const res = await fetch(`${gateway.url}/openapi.json`, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: await res.json() };
    } catch (err) {
      return {
        status: 502,
        body: { error: { code: 'UPSTREAM_UNAVAILABLE', message: (err as Error).message } },
      };
    }
  }

  /**
   * Sends a request through the gateway with a fresh trace id (a `traceparent` the services
   * continue), so the answer comes back with the trace it produced.
   */
  async send(body: unknown): Promise<ApiResult> {
    const gateway = this.#ctx.services.find((s) => s.kind === 'gateway');
    if (gateway === undefined) return notFound('a gateway in this system');
    const req = body as { method?: unknown; path?: unknown; headers?: unknown; body?: unknown } | undefined;
    const method = typeof req?.method === 'string' ? req.method.toUpperCase() : '';
    const path = typeof req?.path === 'string' ? req.path : '';
    if (!/^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/.test(method))
      return badRequest('method must be an HTTP method');
    if (!path.startsWith('/') || path.startsWith('//')) return badRequest('path must start with /');
    const traceId = randomBytes(16).toString('hex');
    const headers: Record<string, string> = {
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    };
    for (const [k, v] of Object.entries((req?.headers as Record<string, unknown> | undefined) ?? {}))
      if (typeof v === 'string' && v !== '') headers[k.toLowerCase()] = v;
    let payload: string | undefined;
    if (req?.body !== undefined && req.body !== '' && method !== 'GET' && method !== 'HEAD') {
      payload = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
    const began = performance.now();
    try {
      const res = await fetch(`${gateway.url}${path}`, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        redirect: 'manual',
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return ok({
        status: res.status,
        headers: Object.fromEntries(res.headers),
        body: parsed,
        traceId,
        ms: Math.round(performance.now() - began),
      });
    } catch (err) {
      return {
        status: 502,
        body: { error: { code: 'UPSTREAM_UNAVAILABLE', message: (err as Error).message } },
      };
    }
  }
}

/** SAGA_NOT_FOUND (404) and SAGA_ACTION_NOT_ALLOWED (409) as answers; anything else is thrown. */
function sagaError(err: unknown): ApiResult {
  const e = err as { code?: string; status?: number; message?: string };
  if (e.code === 'SAGA_NOT_FOUND' || e.code === 'SAGA_ACTION_NOT_ALLOWED')
    return { status: e.status ?? 409, body: { error: { code: e.code, message: e.message } } };
  throw err;
}
