/** What a service answers on its kit routes right now. */
export interface ServiceProbe {
  /** `/health`: true on 200; false when it answered otherwise or not at all. */
  readonly live: boolean;
  /** `/ready`: true on 200. */
  readonly ready: boolean;
  /** `/ready`'s checks (`{ db: 'ok', broker: 'connection refused' }`). */
  readonly checks: Readonly<Record<string, string>>;
  /** The checks that failed, by name. */
  readonly failing: readonly string[];
  /** `/api/versions` (`[{ version: 'v1', status: 'current' }]`), empty when absent. */
  readonly versions: readonly Record<string, unknown>[];
  /** Why the service could not be asked (connection refused, timeout). */
  readonly error?: string;
}

/** `/metrics` text, or undefined when the service has none or is down. */
export async function fetchMetricsText(url: string, timeoutMs = 2000): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Asks `/health`, `/ready` and `/api/versions` of the service at `url`, in parallel. */
export async function probeService(url: string, timeoutMs = 2000): Promise<ServiceProbe> {
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    let body: unknown;
    try {
      body = await res.json();
    } catch {}
    return { status: res.status, body: body as Record<string, unknown> | undefined };
  };
  const [health, ready, versions] = await Promise.allSettled([
    get('/health'),
    get('/ready'),
    get('/api/versions'),
  ]);
  if (health.status === 'rejected') {
    return { live: false, ready: false, checks: {}, failing: [], versions: [], error: reason(health.reason) };
  }
  const checks = readyChecks(ready.status === 'fulfilled' ? ready.value.body : undefined);
  const versionList =
    versions.status === 'fulfilled' && versions.value.status === 200 ? versionsOf(versions.value.body) : [];
  return {
    live: health.value.status === 200,
    ready: ready.status === 'fulfilled' && ready.value.status === 200,
    checks,
    failing: Object.entries(checks)
      .filter(([, v]) => v !== 'ok')
      .map(([k]) => k),
    versions: versionList,
  };
}

/** `{ data: { checks } }` on 200, `{ error: { details: { checks } } }` on 503. */
function readyChecks(body: Record<string, unknown> | undefined): Record<string, string> {
  const data = body?.data as { checks?: Record<string, string> } | undefined;
  const error = body?.error as { details?: { checks?: Record<string, string> } } | undefined;
  return data?.checks ?? error?.details?.checks ?? {};
}

function versionsOf(body: Record<string, unknown> | undefined): Record<string, unknown>[] {
  // Enveloped (`{ data: { versions } }`) or not.
  const data = (body?.data ?? body) as { versions?: unknown } | undefined;
  const list = data?.versions;
  return Array.isArray(list) ? (list as Record<string, unknown>[]) : [];
}

function reason(err: unknown): string {
  const e = err as { cause?: { code?: string }; name?: string; message?: string };
  if (e.name === 'TimeoutError') return 'no answer within 2 s';
  return e.cause?.code ?? e.message ?? String(err);
}
