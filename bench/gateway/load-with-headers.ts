import autocannon from 'autocannon';
import type { LoadResult } from '../lib/load.ts';
import { cpuMs } from '../lib/proc-stats.ts';

/**
 * Like `runLoad` (bench/lib/load.ts), with request headers: every target gets the same ones
 * (bearer token, traceparent), whether it reads them or not.
 */
export async function loadWithHeaders(options: {
  url: string;
  duration: number;
  connections: number;
  headers: Record<string, string>;
  serverPid?: number;
}): Promise<LoadResult> {
  const cpuBefore = options.serverPid === undefined ? 0 : cpuMs(options.serverPid);
  const clientBefore = process.cpuUsage();
  const r = await autocannon({
    url: options.url,
    duration: options.duration,
    connections: options.connections,
    pipelining: 1,
    headers: options.headers,
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
