import type { ConfigKey } from '../config/config-key.ts';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

/**
 * Milliseconds from `60000`, `500ms`, `30s`, `1 minute`, `1.5h`; `undefined` when `raw` is none
 * of these (or not positive).
 */
export function parseDuration(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim());
  if (!m) return undefined;
  const unit = m[2] === '' ? 1 : UNITS[(m[2] as string).toLowerCase()];
  if (unit === undefined) return undefined;
  const ms = Math.round(Number(m[1]) * unit);
  return ms > 0 ? ms : undefined;
}

/**
 * A config key holding a duration, parsed to milliseconds (`60000`, `30s`, `1 minute`).
 *
 * @example
 * const window = duration({ env: 'RATE_LIMIT_WINDOW', doc: 'Rate-limit window', default: 60_000 });
 */
export function duration(init: {
  env: string;
  doc: string;
  default?: number;
  optional?: boolean;
}): ConfigKey<number> {
  const expected = 'a duration: milliseconds, or a number with ms, s, m(in), h (e.g. 30s, 1 minute)';
  return {
    ...init,
    expected,
    parse(raw) {
      const ms = parseDuration(raw);
      if (ms === undefined) throw new Error(expected);
      return ms;
    },
  };
}
