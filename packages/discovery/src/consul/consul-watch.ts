import { sameInstances, sortInstances } from '../internal/instance.ts';
import type { ServiceInstance } from '../registry.ts';
import type { ConsulApi } from './consul-api.ts';
import { instancesFromHealth } from './consul-health.ts';

export interface ConsulWatchOptions {
  api: ConsulApi;
  name: string;
  /** Query string added to the health call (`&dc=…`). */
  extraQuery: string;
  /** Blocking-query `wait`, seconds. */
  waitSeconds: number;
  onChange: (instances: ServiceInstance[]) => void;
  onError?: (err: unknown) => void;
}

/** Fewer requests than this apart are delayed: Consul asks clients to rate-limit blocking loops. */
const MIN_GAP_MS = 100;

/**
 * Blocking-query loop on `/v1/health/service/<name>?passing`, following Consul's rules for
 * clients: pass the last `X-Consul-Index` with `wait`, reset to 0 when the index goes backwards,
 * never use an index below 1, rate-limit, back off on errors. Returns the stop function.
 */
export function watchConsulService(o: ConsulWatchOptions): () => void {
  const abort = new AbortController();
  let last: ServiceInstance[] | undefined;
  let index = 0;
  let failures = 0;
  const path = `/v1/health/service/${encodeURIComponent(o.name)}?passing${o.extraQuery}`;
  // Consul adds up to wait/16 of jitter to a blocking wait.
  const deadlineMs = Math.ceil(o.waitSeconds * 1000 * (17 / 16)) + 5000;

  const loop = async () => {
    while (!abort.signal.aborted) {
      const started = Date.now();
      try {
        const q = index > 0 ? `&index=${index}&wait=${o.waitSeconds}s` : '';
        const res = await o.api.call('GET', `${path}${q}`, { signal: abort.signal, timeoutMs: deadlineMs });
        failures = 0;
        const next = res.index ?? 0;
        index = next < index ? 0 : Math.max(next, 1);
        const list = sortInstances(instancesFromHealth(res.body, o.name));
        if (!abort.signal.aborted && (last === undefined || !sameInstances(last, list))) {
          last = list;
          try {
            o.onChange(list);
          } catch (err) {
            o.onError?.(err);
          }
        }
        await sleep(MIN_GAP_MS - (Date.now() - started), abort.signal);
      } catch (err) {
        if (abort.signal.aborted) return;
        failures++;
        o.onError?.(err);
        await sleep(Math.min(10_000, 250 * 2 ** Math.min(failures, 6)), abort.signal);
      }
    }
  };
  setImmediate(() => void loop());
  return () => abort.abort();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
