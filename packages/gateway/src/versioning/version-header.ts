import type { IncomingHttpHeaders } from 'node:http';

/**
 * The version an unversioned request asks for with `API-Version` (or `Accept-Version`):
 * a number, `'invalid'` for a value that is not a version, or `undefined` without a header.
 * Accepts `2`, `v2`, `2.0` — the same rule as a service.
 */
export function requestedVersion(headers: IncomingHttpHeaders): number | 'invalid' | undefined {
  const raw = headerValue(headers['api-version']) ?? headerValue(headers['accept-version']);
  if (raw === undefined) return undefined;
  const m = /^\s*v?(\d{1,4})(?:\.0)?\s*$/i.exec(raw);
  return m ? Number(m[1]) : 'invalid';
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? undefined : v;
}
