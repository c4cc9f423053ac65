import type { DevEvent, DevOutput } from '../dev/dev-output.ts';
import { type LogEntry, LogStore } from './log-store.ts';
import { RingBuffer } from './ring-buffer.ts';
import { TraceStore, type TraceSummary } from './trace-store.ts';

/** What the dashboard's event stream carries (`GET /api/stream`, server-sent events). */
export type HubMessage =
  | { type: 'dev'; time: string; event: DevEvent }
  | { type: 'log'; entry: LogEntry }
  | { type: 'trace'; trace: TraceSummary }
  | { type: 'bus'; event: BusEvent };

/** An event seen on the bus (the postgres transport's log). */
export interface BusEvent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly subject?: string;
  readonly traceId?: string;
  readonly time: string;
  readonly data: unknown;
  /** Set on a dead-letter topic: why the consumer group gave up on the event. */
  readonly deadLetter?: { reason: string; attempts: number; group: string; topic: string };
}

/** What `outrig dev` knows of a service's process, from its lifecycle events. */
export interface ProcessState {
  /** `starting` until /health answers; `stopped` when stopped from the dashboard. */
  state: 'starting' | 'up' | 'down' | 'stopped';
  pid: number;
  restarts: number;
  reloads: number;
  lastExit?: { code: number | null; signal: string | null; time: string };
  since: string;
}

type Listener = (message: HubMessage) => void;

/**
 * The dashboard's memory of one `outrig dev` run: lifecycle events, log lines, traces and bus
 * events, kept in bounded buffers and fanned out to the open event streams.
 */
export class DevHub {
  readonly logs = new LogStore();
  readonly traces = new TraceStore();
  readonly #events = new RingBuffer<HubMessage & { type: 'dev' }>(500);
  readonly #bus = new RingBuffer<BusEvent>(500);
  readonly #listeners = new Set<Listener>();
  readonly #processes = new Map<string, ProcessState>();

  /** A DevOutput that reports to `inner` and to this hub. */
  tee(inner: DevOutput): DevOutput {
    return {
      json: inner.json,
      emit: (event) => {
        inner.emit(event);
        this.record(event);
      },
      note: (text) => inner.note(text),
    };
  }

  record(event: DevEvent): void {
    if (event.event === 'log') {
      this.#send({ type: 'log', entry: this.logs.add(event.service, event.line) });
      return;
    }
    this.#track(event);
    const message = { type: 'dev' as const, time: new Date().toISOString(), event };
    if (event.event !== 'standby') this.#events.push(message);
    this.#send(message);
  }

  /** Spans arrived: stream the summaries of the traces they belong to. */
  spansAdded(traceIds: readonly string[]): void {
    for (const id of traceIds) {
      const trace = this.traces.summary(id);
      if (trace) this.#send({ type: 'trace', trace });
    }
  }

  busEvent(event: BusEvent): void {
    this.#bus.push(event);
    this.#send({ type: 'bus', event });
  }

  /** Lifecycle events, oldest first (the last 500). */
  events(): (HubMessage & { type: 'dev' })[] {
    return this.#events.toArray();
  }

  busEvents(): BusEvent[] {
    return this.#bus.toArray();
  }

  process(service: string): ProcessState | undefined {
    return this.#processes.get(service);
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #send(message: HubMessage): void {
    for (const listener of this.#listeners) listener(message);
  }

  #track(event: DevEvent): void {
    if (!('service' in event) || event.event === 'standby') return;
    const now = new Date().toISOString();
    const p = this.#processes.get(event.service) ?? {
      state: 'starting',
      pid: 0,
      restarts: 0,
      reloads: 0,
      since: now,
    };
    const set = (state: ProcessState['state']) => {
      if (p.state !== state) p.since = now;
      p.state = state;
    };
    switch (event.event) {
      case 'started':
        p.pid = event.pid;
        set('starting');
        break;
      case 'ready':
        p.pid = event.pid;
        set('up');
        break;
      case 'reloaded':
        p.pid = event.pid;
        p.reloads++;
        set('up');
        break;
      case 'restarted':
        p.pid = event.pid;
        p.restarts++;
        break;
      case 'exited':
        p.lastExit = { code: event.code, signal: event.signal, time: now };
        set('down');
        break;
      case 'paused':
        set('stopped');
        break;
    }
    this.#processes.set(event.service, p);
  }
}
