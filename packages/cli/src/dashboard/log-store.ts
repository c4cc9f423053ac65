import { RingBuffer } from './ring-buffer.ts';

/** One service log line as the dashboard keeps it: pino fields unpacked when the line is JSON. */
export interface LogEntry {
  /** Increasing per run: the SSE stream and `?after=` use it. */
  readonly seq: number;
  readonly service: string;
  /** ISO time: the line's own, else when it was received. */
  readonly time: string;
  /** `trace`, `debug`, `info`, `warn`, `error`, `fatal`; `info` for a line that is not JSON. */
  readonly level: string;
  readonly msg: string;
  readonly requestId?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  /** The line as the service printed it. */
  readonly line: string;
}

/** Filters for {@link LogStore.query}; every given field must match. */
export interface LogFilter {
  service?: string;
  /** The lowest level shown (`warn` shows warn, error and fatal). */
  level?: string;
  requestId?: string;
  traceId?: string;
  /** A substring of the line (case-insensitive). */
  text?: string;
  /** Only lines after this `seq`. */
  after?: number;
  /** At most this many, the latest. Default 500. */
  limit?: number;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** pino's numeric levels. */
const PINO_LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** The latest log lines of every service (5000 by default), searchable. */
export class LogStore {
  readonly #lines: RingBuffer<LogEntry>;
  #seq = 0;

  constructor(capacity = 5000) {
    this.#lines = new RingBuffer(capacity);
  }

  /** Parses and keeps one line; returns the entry. */
  add(service: string, line: string): LogEntry {
    const entry = parseLogLine(++this.#seq, service, line);
    this.#lines.push(entry);
    return entry;
  }

  query(filter: LogFilter = {}): LogEntry[] {
    const min = filter.level ? LEVELS.indexOf(filter.level) : -1;
    const text = filter.text?.toLowerCase();
    const out = this.#lines
      .toArray()
      .filter(
        (e) =>
          (filter.after === undefined || e.seq > filter.after) &&
          (filter.service === undefined || e.service === filter.service) &&
          (min < 0 || LEVELS.indexOf(e.level) >= min) &&
          (filter.requestId === undefined || e.requestId === filter.requestId) &&
          (filter.traceId === undefined || e.traceId === filter.traceId) &&
          (text === undefined || e.line.toLowerCase().includes(text)),
      );
    return out.slice(-(filter.limit ?? 500));
  }
}

/** A pino JSON line's fields, or the raw line at level info. */
export function parseLogLine(seq: number, service: string, line: string): LogEntry {
  let rec: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      rec = parsed as Record<string, unknown>;
  } catch {}
  if (rec === undefined)
    return { seq, service, time: new Date().toISOString(), level: 'info', msg: line, line };
  const level =
    typeof rec.level === 'number' ? (PINO_LEVELS[rec.level] ?? 'info') : String(rec.level ?? 'info');
  const time =
    typeof rec.time === 'string'
      ? rec.time
      : typeof rec.time === 'number'
        ? new Date(rec.time).toISOString()
        : new Date().toISOString();
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const requestId = str(rec.requestId) ?? str(rec.reqId);
  const traceId = str(rec.trace_id);
  const spanId = str(rec.span_id);
  return {
    seq,
    service,
    time,
    level: LEVELS.includes(level) ? level : 'info',
    msg: String(rec.msg ?? ''),
    ...(requestId ? { requestId } : {}),
    ...(traceId ? { traceId } : {}),
    ...(spanId ? { spanId } : {}),
    line,
  };
}
