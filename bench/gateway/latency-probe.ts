import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { median } from '../lib/report.ts';

/** Latency at one connection, in ms with µs resolution. */
export interface LatencyResult {
  p50: number;
  p99: number;
  requests: number;
  errors: number;
}

/**
 * One keep-alive connection, one request at a time, for `duration` seconds: each request's
 * round trip measured with `performance.now()`. (autocannon's latency histogram counts whole
 * milliseconds, too coarse for the sub-millisecond a proxy adds.)
 *
 * @example
 * const direct = await probeLatency('http://127.0.0.1:3000/api/v1/hello', 3, {});
 */
export async function probeLatency(
  url: string,
  duration: number,
  headers: Record<string, string>,
): Promise<LatencyResult> {
  const target = new URL(url);
  const client = new Client(target.origin, { pipelining: 1 });
  const samples: number[] = [];
  let errors = 0;
  const end = performance.now() + duration * 1000;
  try {
    while (performance.now() < end) {
      const start = performance.now();
      try {
        const res = await client.request({ path: target.pathname, method: 'GET', headers });
        await res.body.dump();
        if (res.statusCode !== 200) errors++;
        else samples.push(performance.now() - start);
      } catch {
        errors++;
      }
    }
  } finally {
    await client.close();
  }
  if (samples.length === 0) throw new Error(`no successful request to ${url}`);
  samples.sort((a, b) => a - b);
  return {
    p50: median(samples),
    p99: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))]!,
    requests: samples.length,
    errors,
  };
}
