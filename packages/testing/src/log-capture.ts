import { Writable } from 'node:stream';

/** A service's JSON log lines, captured for assertions. */
export interface LogCapture {
  /** Pass as `createService({ logStream })`. */
  readonly stream: Writable;
  /** Every line written so far, parsed. */
  lines(): Record<string, unknown>[];
  /** Everything written so far, as text (to search for secrets that must never be logged). */
  text(): string;
}

/**
 * Captures what a service logs (pino writes one JSON object per line).
 *
 * @example
 * const logs = logCapture();
 * const service = createService({ name: 'orders', logStream: logs.stream });
 * // …
 * expect(logs.lines().some((l) => l.msg === 'request completed')).toBe(true);
 * expect(logs.text()).not.toContain(password);
 */
export function logCapture(): LogCapture {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
