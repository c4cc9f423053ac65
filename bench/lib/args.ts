import { parseArgs } from 'node:util';

/** Flags every load benchmark accepts. */
export interface LoadArgs {
  /** Measured rounds per server, alternating. Default 3. */
  rounds: number;
  /** Seconds per measured round. Default 5. */
  duration: number;
  /** Concurrent keep-alive connections. Default 100. */
  connections: number;
  /** Seconds of unmeasured load per server before the first round. Default 3. */
  warmup: number;
  /** Where servers write their logs: `file` (a temp file, the default) or `devnull`. */
  logs: 'file' | 'devnull';
  /** Values of the extra string flags the caller declared. */
  extra: Record<string, string | undefined>;
}

/**
 * Parses `--rounds --duration --connections --warmup --logs`, plus the `extra` string flags a
 * bench declares (unknown flags are an error, so a typo never silently runs the defaults).
 *
 * @example
 * const args = parseLoadArgs(process.argv.slice(2)); // --duration 5 --rounds 3
 */
export function parseLoadArgs(argv: readonly string[], extra: readonly string[] = []): LoadArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...Object.fromEntries(extra.map((name) => [name, { type: 'string' as const }])),
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '100' },
      warmup: { type: 'string', default: '3' },
      logs: { type: 'string', default: 'file' },
    },
    strict: true,
  });
  const num = (name: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${raw}`);
    return n;
  };
  if (values.logs !== 'file' && values.logs !== 'devnull') {
    throw new Error(`--logs must be file or devnull, got ${values.logs}`);
  }
  return {
    rounds: Math.floor(num('rounds', values.rounds, 1)),
    duration: num('duration', values.duration, 1),
    connections: Math.floor(num('connections', values.connections, 1)),
    warmup: num('warmup', values.warmup, 0),
    logs: values.logs,
    extra: Object.fromEntries(
      extra.map((name) => [name, (values as Record<string, unknown>)[name] as string | undefined]),
    ),
  };
}
