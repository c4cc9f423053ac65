import autocannon from 'autocannon';
import { cpuMs } from './proc-stats.ts';

/** What one load run measured. Latencies in milliseconds. */
export interface LoadResult {
  /** Mean requests per second over the run (autocannon's "Req/Sec avg"). */
  rps: number;
  p50: number;
  p99: number;
  /** Connection errors plus timeouts. */
  errors: number;
  /** Responses with a status outside 2xx. */
  non2xx: number;
  /** Completed requests. */
  requests: number;
  /** Server CPU time per completed request in µs, when `serverPid` was given. */
  cpuUsPerReq?: number;
  /** This process's (the load generator's) CPU time per completed request in µs. */
  clientCpuUsPerReq: number;
}

/** Load parameters: `duration` in seconds. */
export interface LoadOptions {
  url: string;
  duration: number;
  connections: number;
  /** The server's pid (on this machine): adds its CPU time per request to the result. */
  serverPid?: number;
  /** Request headers sent with every request (e.g. a bearer token, a traceparent). */
  headers?: Record<string, string>;
}

/**
 * Hammers `url` with `connections` keep-alive connections for `duration` seconds (no
 * pipelining: one request in flight per connection, as real HTTP/1.1 clients do).
 *
 * @example
 * const r = await runLoad({ url: 'http://127.0.0.1:3000/', duration: 5, connections: 100 });
 * console.log(r.rps, r.p99);
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const cpuBefore = options.serverPid === undefined ? 0 : cpuMs(options.serverPid);
  const clientBefore = process.cpuUsage();
  const r = await autocannon({
    url: options.url,
    duration: options.duration,
    connections: options.connections,
    pipelining: 1,
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const client = process.cpuUsage(clientBefore);
  const cpu = options.serverPid === undefined ? undefined : cpuMs(options.serverPid) - cpuBefore;
  return {
    ...(cpu === undefined || r.requests.total === 0 ? {} : { cpuUsPerReq: (cpu * 1000) / r.requests.total }),
    clientCpuUsPerReq: (client.user + client.system) / Math.max(1, r.requests.total),
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    requests: r.requests.total,
  };
}
