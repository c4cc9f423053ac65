/**
 * An in-process stand-in for a Consul agent's HTTP API — no Consul server runs on these machines.
 * It implements, following Consul's documented API, exactly what `@outrig/discovery`'s Consul
 * adapter uses: service registration with an HTTP check (run on its interval with Consul's
 * initial stagger; 2xx passing, 429 warning, else critical), deregistration, the agent's view of a
 * service, health queries with `?passing`, blocking queries (`index`, `wait`, `X-Consul-Index`),
 * `DeregisterCriticalServiceAfter` reaping, the leader status and ACL tokens.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AgentService, ConsulAgentState } from './consul-agent-state.ts';
import { type HttpCheck, parseHttpCheck } from './consul-check.ts';
import { goDurationMs } from './go-duration.ts';

export interface ConsulDoubleOptions {
  /** How often critical services are reaped. Consul: 30 s. Tests pass less. */
  reapIntervalMs?: number;
  /** Smallest `DeregisterCriticalServiceAfter` honoured. Consul: 1 minute. Tests pass less. */
  minDeregisterAfterMs?: number;
  /** When set, every request must carry this ACL token (`X-Consul-Token` or `?token=`): else 403. */
  token?: string;
  datacenter?: string;
  nodeName?: string;
  /** Port to listen on (127.0.0.1). Default: a free one. */
  port?: number;
}

export interface ConsulDouble {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `consul://127.0.0.1:<port>`, a `REGISTRY_URL`. */
  readonly registryUrl: string;
  /** Registered services with the status of their checks. */
  services(): {
    id: string;
    name: string;
    address: string;
    port: number;
    meta: Record<string, string>;
    status: string;
  }[];
  /** Every request received, as `METHOD /path?query`, oldest first (the last 1000). */
  requests(): string[];
  /** Whether `/v1/status/leader` names a leader (default true). */
  setLeader(known: boolean): void;
  close(): Promise<void>;
}

const MAX_WAIT_MS = 600_000;
const DEFAULT_WAIT_MS = 300_000;

/**
 * Starts the double on a free loopback port.
 *
 * @example
 * const consul = await startConsulDouble({ reapIntervalMs: 200, minDeregisterAfterMs: 0 });
 * afterAll(() => consul.close());
 * const registry = await resolveRegistry(`${consul.registryUrl}?deregister_critical_after=1s`);
 */
export async function startConsulDouble(options: ConsulDoubleOptions = {}): Promise<ConsulDouble> {
  const datacenter = options.datacenter ?? 'dc1';
  const node = { Node: options.nodeName ?? 'outrig-double', Address: '127.0.0.1', Datacenter: datacenter };
  const state = new ConsulAgentState({
    reapIntervalMs: options.reapIntervalMs ?? 30_000,
    minDeregisterAfterMs: options.minDeregisterAfterMs ?? 60_000,
    datacenter,
  });
  let leader = true;
  const log: string[] = [];

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const json = typeof body !== 'string' || status === 200;
      res.writeHead(status, {
        'content-type': json ? 'application/json' : 'text/plain; charset=utf-8',
        ...headers,
      });
      res.end(json ? JSON.stringify(body) : body);
    };
    // Registration calls answer 200 with no body, as Consul does.
    const sendEmpty = () => {
      res.writeHead(200);
      res.end();
    };
    const url = new URL(req.url ?? '/', 'http://double');
    log.push(`${req.method} ${url.pathname}${url.search}`);
    if (log.length > 1000) log.shift();
    const token = req.headers['x-consul-token'] ?? url.searchParams.get('token');
    if (options.token && token !== options.token)
      return send(403, 'Permission denied: token lacks permission');
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString();
    });
    req.on('end', () => {
      route(req.method ?? 'GET', url, raw).catch((err: Error) => send(500, err.message));
    });

    async function route(method: string, u: URL, body: string): Promise<void> {
      const path = u.pathname;
      const dereg = /^\/v1\/agent\/service\/deregister\/(.+)$/.exec(path);
      const agentService = /^\/v1\/agent\/service\/(.+)$/.exec(path);
      const healthService = /^\/v1\/health\/service\/(.+)$/.exec(path);
      if (path === '/v1/agent/service/register') {
        if (method !== 'PUT') return send(405, `method ${method} not allowed`);
        return register(body);
      }
      if (dereg) {
        if (method !== 'PUT') return send(405, `method ${method} not allowed`);
        const id = decodeURIComponent(dereg[1] as string);
        if (!state.deregister(id)) {
          return send(
            404,
            `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`,
          );
        }
        return sendEmpty();
      }
      if (method !== 'GET') return send(405, `method ${method} not allowed`);
      if (agentService) {
        const id = decodeURIComponent(agentService[1] as string);
        const entry = state.services.get(id);
        return entry ? send(200, entry.service) : send(404, `unknown service ID: ${id}`);
      }
      if (path === '/v1/agent/services') {
        return send(200, Object.fromEntries([...state.services].map(([id, e]) => [id, e.service])));
      }
      if (path === '/v1/agent/checks') {
        const checks = [...state.services.values()].flatMap((e) => e.checks);
        return send(200, Object.fromEntries(checks.map((c) => [c.CheckID, checkJson(c)])));
      }
      if (healthService) return health(decodeURIComponent(healthService[1] as string), u);
      if (path === '/v1/status/leader') return send(200, leader ? '127.0.0.1:8300' : '');
      if (path === '/v1/agent/self') {
        return send(200, {
          Config: { Datacenter: datacenter, NodeName: node.Node },
          Member: { Name: node.Node },
        });
      }
      return send(404, `Unsupported by the Consul double: ${method} ${path}`);
    }

    function register(body: string) {
      let def: Record<string, unknown>;
      try {
        def = JSON.parse(body) as Record<string, unknown>;
      } catch (err) {
        return send(400, `Request decode failed: ${(err as Error).message}`);
      }
      if (typeof def.Name !== 'string' || def.Name === '') return send(400, 'Missing service name');
      const meta = (def.Meta ?? {}) as Record<string, unknown>;
      const metaProblem = validateMeta(meta);
      if (metaProblem) return send(400, `Invalid Service Meta: ${metaProblem}`);
      const service: AgentService = {
        ID: typeof def.ID === 'string' && def.ID ? def.ID : def.Name,
        Service: def.Name,
        Tags: Array.isArray(def.Tags) ? def.Tags.filter((t): t is string => typeof t === 'string') : [],
        Meta: meta as Record<string, string>,
        Address: typeof def.Address === 'string' ? def.Address : '',
        Port: typeof def.Port === 'number' ? def.Port : 0,
        Datacenter: datacenter,
      };
      const rawChecks = [...(def.Check ? [def.Check] : []), ...(Array.isArray(def.Checks) ? def.Checks : [])];
      const checks: HttpCheck[] = [];
      for (const [i, raw] of rawChecks.entries()) {
        const check = parseHttpCheck(raw as Record<string, unknown>, service, i);
        if (typeof check === 'string') return send(400, check);
        checks.push(check);
      }
      state.register(service, checks);
      sendEmpty();
    }

    async function health(name: string, u: URL): Promise<void> {
      const index = Number(u.searchParams.get('index') ?? 0);
      if (index > 0) {
        const wait = u.searchParams.has('wait') ? goDurationMs(u.searchParams.get('wait')) : DEFAULT_WAIT_MS;
        if (wait === undefined) return send(400, 'Invalid wait time');
        const waitMs = Math.min(wait, MAX_WAIT_MS);
        // Consul adds up to wait/16 of random jitter.
        await state.wait(name, index, waitMs + Math.random() * (waitMs / 16));
      }
      const passingOnly = u.searchParams.has('passing') && u.searchParams.get('passing') !== 'false';
      const entries = [...state.services.values()]
        .filter((e) => e.service.Service === name)
        .map((e) => ({
          Node: node,
          Service: e.service,
          Checks: [
            {
              Node: node.Node,
              CheckID: 'serfHealth',
              Name: 'Serf Health Status',
              Status: 'passing',
              ServiceID: '',
            },
            ...e.checks.map(checkJson),
          ],
        }))
        .filter((e) => !passingOnly || e.Checks.every((c) => c.Status === 'passing'));
      send(200, entries, {
        'x-consul-index': String(state.indexFor(name)),
        'x-consul-knownleader': String(leader),
        'x-consul-lastcontact': '0',
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    registryUrl: `consul://127.0.0.1:${port}`,
    services: () =>
      [...state.services.values()].map(({ service, checks }) => ({
        id: service.ID,
        name: service.Service,
        address: service.Address,
        port: service.Port,
        meta: service.Meta,
        status: checks.some((c) => c.Status === 'critical')
          ? 'critical'
          : checks.some((c) => c.Status === 'warning')
            ? 'warning'
            : 'passing',
      })),
    requests: () => [...log],
    setLeader(known) {
      leader = known;
    },
    async close() {
      state.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function checkJson(c: HttpCheck) {
  return {
    Node: 'outrig-double',
    CheckID: c.CheckID,
    Name: c.Name,
    Status: c.Status,
    Output: c.Output,
    ServiceID: c.ServiceID,
    ServiceName: c.ServiceName,
    Type: 'http',
  };
}

/** Consul's rules for service metadata. */
function validateMeta(meta: Record<string, unknown>): string | undefined {
  const entries = Object.entries(meta);
  if (entries.length > 64) return 'Node metadata cannot contain more than 64 key/value pairs';
  for (const [key, value] of entries) {
    if (key === '') return 'Key cannot be blank';
    if (!/^[A-Za-z0-9_-]+$/.test(key)) return `Key contains invalid characters: ${key}`;
    if (key.length > 128) return `Key is too long (limit: 128 characters): ${key}`;
    if (key.startsWith('consul-')) return `Key denotes reserved prefix: ${key}`;
    if (typeof value !== 'string') return `Value of ${key} must be a string`;
    if (value.length > 512) return `Value is too long (limit: 512 characters): ${key}`;
  }
  return undefined;
}
