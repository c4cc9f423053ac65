/**
 * Config keys: each names its environment variable, documents itself, has a default (or is
 * required) and parses its raw string, returning a message of what is expected on failure.
 */
export interface ConfigKey<T> {
  readonly env: string;
  readonly doc: string;
  /** `undefined` = required (unless `optional`). */
  readonly default?: T;
  readonly optional?: boolean;
  /** Human description of accepted values, used in error messages and docs. */
  readonly expected: string;
  parse(raw: string): T;
}

type KeyInit<T> = { env: string; doc: string; default?: T; optional?: boolean };

class ParseError extends Error {}

/** Thrown by a parser: the message says what was expected. */
export { ParseError as ConfigParseError };

function key<T>(init: KeyInit<T>, expected: string, parse: (raw: string) => T | undefined): ConfigKey<T> {
  return {
    ...init,
    expected,
    parse(raw) {
      const value = parse(raw.trim());
      if (value === undefined) throw new ParseError(expected);
      return value;
    },
  };
}

/** A free string (non-empty). */
export function str(init: KeyInit<string>): ConfigKey<string> {
  return key(init, 'a non-empty string', (raw) => (raw === '' ? undefined : raw));
}

/** An integer within `[min, max]`. */
export function int(init: KeyInit<number> & { min?: number; max?: number }): ConfigKey<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = init;
  const hasMin = min !== Number.MIN_SAFE_INTEGER;
  const hasMax = max !== Number.MAX_SAFE_INTEGER;
  const range =
    hasMin && hasMax ? ` between ${min} and ${max}` : hasMin ? ` ≥ ${min}` : hasMax ? ` ≤ ${max}` : '';
  return key(init, `an integer${range}`, (raw) => {
    if (!/^-?\d+$/.test(raw)) return undefined;
    const n = Number(raw);
    return n >= min && n <= max ? n : undefined;
  });
}

/** A TCP port, 0–65535 (0 = any free port). */
export function port(init: KeyInit<number>): ConfigKey<number> {
  return int({ ...init, min: 0, max: 65535 });
}

/** `true|false|1|0|yes|no|on|off`. */
export function bool(init: KeyInit<boolean>): ConfigKey<boolean> {
  return key(init, 'true or false', (raw) => {
    const v = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return undefined;
  });
}

/** One of a fixed list of values. */
export function oneOf<const V extends string>(values: readonly V[], init: KeyInit<V>): ConfigKey<V> {
  return key(init, `one of ${values.join(', ')}`, (raw) => values.find((v) => v === raw.toLowerCase()));
}

/**
 * A URL whose scheme is in `schemes` (any when omitted). With `hostList`, a comma-separated list
 * of servers is accepted too, each a URL or a bare `host:port` under the first one's scheme
 * (`kafka://a:9092,b:9092`, `nats://a:4222,nats://b:4222`); the value is kept as written.
 */
export function url(
  init: KeyInit<string> & { schemes?: readonly string[]; hostList?: boolean },
): ConfigKey<string> {
  const schemes = init.schemes;
  const expected = schemes ? `a URL (${schemes.map((s) => `${s}:`).join(' ')})` : 'a URL';
  const ok = (value: string) => {
    try {
      const u = new URL(value);
      return !schemes || schemes.includes(u.protocol.slice(0, -1));
    } catch {
      return false;
    }
  };
  return key(init, init.hostList ? `${expected}, or a comma-separated list of servers` : expected, (raw) => {
    if (!init.hostList || !raw.includes(',')) return ok(raw) ? raw : undefined;
    const [first = '', ...rest] = raw.split(',').map((s) => s.trim());
    if (!ok(first)) return undefined;
    const scheme = new URL(first).protocol;
    const each = rest.every((s) => (s.includes('://') ? ok(s) : URL.canParse(`${scheme}//${s}`)));
    return each && rest.every((s) => s !== '') ? raw : undefined;
  });
}

/** A comma-separated list of non-empty strings. */
export function list(init: KeyInit<string[]>): ConfigKey<string[]> {
  return key(init, 'a comma-separated list', (raw) =>
    raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}
