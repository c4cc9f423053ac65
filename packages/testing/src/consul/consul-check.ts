import { goDurationMs } from './go-duration.ts';

export type CheckStatus = 'passing' | 'warning' | 'critical';

/** An HTTP check as the agent runs it. */
export interface HttpCheck {
  CheckID: string;
  Name: string;
  ServiceID: string;
  ServiceName: string;
  Status: CheckStatus;
  Output: string;
  http: string;
  method: string;
  intervalMs: number;
  timeoutMs: number;
  /** Critical longer than this: the agent removes the service. */
  deregisterAfterMs: number | undefined;
  /** Epoch ms since the check is critical (undefined when not critical). */
  criticalSince: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** Validates a `Check` of a service registration; returns the check or the 400 message. */
export function parseHttpCheck(
  raw: Record<string, unknown>,
  service: { ID: string; Service: string },
  index: number,
): HttpCheck | string {
  if (typeof raw.HTTP !== 'string' || raw.HTTP === '')
    return 'Invalid check: only HTTP checks are supported by this double';
  try {
    new URL(raw.HTTP);
  } catch {
    return `Invalid check: HTTP ${JSON.stringify(raw.HTTP)} is not a URL`;
  }
  const intervalMs = goDurationMs(raw.Interval);
  if (intervalMs === undefined || intervalMs <= 0) return 'Invalid check: HTTP checks require an Interval';
  const timeoutMs = raw.Timeout === undefined ? 10_000 : goDurationMs(raw.Timeout);
  if (timeoutMs === undefined)
    return `Invalid check: Timeout ${JSON.stringify(raw.Timeout)} is not a duration`;
  let deregisterAfterMs: number | undefined;
  if (raw.DeregisterCriticalServiceAfter !== undefined) {
    deregisterAfterMs = goDurationMs(raw.DeregisterCriticalServiceAfter);
    if (deregisterAfterMs === undefined)
      return 'Invalid check: DeregisterCriticalServiceAfter is not a duration';
  }
  const status = raw.Status ?? 'critical';
  if (status !== 'passing' && status !== 'warning' && status !== 'critical') {
    return `Invalid check: Status ${JSON.stringify(status)}`;
  }
  const checkId =
    typeof raw.CheckID === 'string' && raw.CheckID
      ? raw.CheckID
      : `service:${service.ID}${index > 0 ? `:${index + 1}` : ''}`;
  return {
    CheckID: checkId,
    Name: typeof raw.Name === 'string' && raw.Name ? raw.Name : `Service '${service.Service}' check`,
    ServiceID: service.ID,
    ServiceName: service.Service,
    Status: status,
    Output: '',
    http: raw.HTTP,
    method: typeof raw.Method === 'string' && raw.Method ? raw.Method : 'GET',
    intervalMs,
    timeoutMs,
    deregisterAfterMs,
    criticalSince: status === 'critical' ? Date.now() : undefined,
    timer: undefined,
  };
}

/** Runs the check once the way Consul's HTTP check does: 2xx passing, 429 warning, else critical. */
export async function runHttpCheck(check: HttpCheck): Promise<{ status: CheckStatus; output: string }> {
  try {
    const res = await fetch(check.http, {
      method: check.method,
      headers: { 'user-agent': 'Consul Health Check', accept: 'text/plain, text/*, */*' },
      signal: AbortSignal.timeout(check.timeoutMs),
    });
    const body = (await res.text()).slice(0, 4096);
    const output = `HTTP ${check.method} ${check.http}: ${res.status} ${res.statusText} Output: ${body}`;
    if (res.status >= 200 && res.status < 300) return { status: 'passing', output };
    if (res.status === 429) return { status: 'warning', output };
    return { status: 'critical', output };
  } catch (err) {
    return { status: 'critical', output: `Get "${check.http}": ${(err as Error).message}` };
  }
}
