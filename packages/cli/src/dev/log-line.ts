/** Fields of a pino line that the prefix or the time column already show. */
const HIDDEN = new Set([
  'level',
  'time',
  'msg',
  'service',
  'requestId',
  'trace_id',
  'span_id',
  'pid',
  'hostname',
]);

/**
 * One service log line for people: `12:00:01 inventory-service info  listening [req-1] port=8004`.
 * A JSON (pino) line is unpacked; anything else is printed as it came.
 */
export function formatLogLine(prefix: string, line: string): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not a record');
    entry = parsed as Record<string, unknown>;
  } catch {
    return `${' '.repeat(9)}${prefix} ${line}`;
  }
  const { level, time, msg, requestId } = entry;
  const extras = Object.entries(entry)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  const clock = typeof time === 'string' ? time.slice(11, 19) : new Date().toISOString().slice(11, 19);
  const tail = `${String(msg ?? '')}${requestId ? ` [${requestId}]` : ''}${extras ? ` ${extras}` : ''}`;
  return `${clock} ${prefix} ${String(level ?? '').padEnd(5)} ${tail}`;
}
