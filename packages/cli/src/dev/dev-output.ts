import { formatLogLine } from './log-line.ts';

/** What `outrig dev --json` prints, one object per line. */
export type DevEvent =
  | { event: 'database'; source: 'embedded' | 'server' | 'per-service'; dataDir?: string; port?: number }
  | { event: 'started'; service: string; pid: number; port: number }
  | { event: 'ready'; service: string; pid: number; url: string; ms: number }
  | { event: 'running'; services: { service: string; pid: number; url: string }[]; ms: number }
  | { event: 'exited'; service: string; pid: number; code: number | null; signal: string | null }
  | { event: 'restarted'; service: string; pid: number; attempt: number; delayMs: number }
  | { event: 'reloaded'; service: string; pid: number; file: string; ms: number }
  | { event: 'standby'; service: string; pid: number }
  | { event: 'paused'; service: string; pid: number }
  | { event: 'dashboard'; url: string; otlp: boolean }
  | { event: 'log'; service: string; line: string }
  | { event: 'stopped' };

/** Where `outrig dev` reports: decorated text for people, or JSON lines for scripts. */
export interface DevOutput {
  readonly json: boolean;
  /** A lifecycle event (JSON line, or a line of text for the ones people need to see). */
  emit(event: DevEvent): void;
  /** Decoration for people (headings, the URL table); nothing under --json. */
  note(text: string): void;
}

export interface DevOutputOptions {
  json: boolean;
  colour: boolean;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Width of the service-name column. */
  nameWidth: number;
}

const COLOURS = [36, 35, 33, 32, 34, 91, 96, 95, 93, 92];

/** The reporter `outrig dev` writes through. */
export function createDevOutput(o: DevOutputOptions): DevOutput {
  const colours = new Map<string, number>();
  const paint = (service: string): string => {
    const name = service.padEnd(o.nameWidth);
    if (!o.colour) return name;
    if (!colours.has(service)) colours.set(service, COLOURS[colours.size % COLOURS.length]!);
    return `\u001b[${colours.get(service)}m${name}\u001b[0m`;
  };
  return {
    json: o.json,
    emit(event) {
      if (o.json) {
        o.stdout(`${JSON.stringify({ ...event, time: new Date().toISOString() })}\n`);
        return;
      }
      const text = describe(event);
      if (event.event === 'log') o.stdout(`${formatLogLine(paint(event.service), event.line)}\n`);
      else if (event.event === 'exited') o.stderr(`${text}\n`);
      else if (text !== undefined) o.stdout(`${text}\n`);
    },
    note(text) {
      if (!o.json) o.stdout(text);
    },
  };
}

/** The text line for an event; undefined for those the URL table or the logs already show. */
function describe(e: DevEvent): string | undefined {
  switch (e.event) {
    case 'exited':
      return `${e.service} exited (${e.signal ? `signal ${e.signal}` : `code ${e.code}`})`;
    case 'restarted':
      return `${e.service} restarted (pid ${e.pid}) after ${e.delayMs / 1000} s`;
    case 'reloaded':
      return `${e.service} reloaded in ${e.ms} ms (${e.file} changed; pid ${e.pid})`;
    case 'paused':
      return `${e.service} stopped from the dashboard (start it there again)`;
    case 'stopped':
      return 'Stopped.';
    default:
      return undefined;
  }
}
