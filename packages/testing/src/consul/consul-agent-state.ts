import { type HttpCheck, runHttpCheck } from './consul-check.ts';

/** A service as the agent stores it (`GET /v1/agent/service/<id>`). */
export interface AgentService {
  ID: string;
  Service: string;
  Tags: string[];
  Meta: Record<string, string>;
  Address: string;
  Port: number;
  Datacenter: string;
}

export interface AgentStateOptions {
  reapIntervalMs: number;
  minDeregisterAfterMs: number;
  datacenter: string;
}

/**
 * The agent's services and checks, with Consul's index rules: a Raft-like counter that moves on
 * every change a query could see (registration, deregistration, a check changing status — not
 * its output), and blocking waits that wake when the index of what they watch moves.
 */
export class ConsulAgentState {
  readonly services = new Map<string, { service: AgentService; checks: HttpCheck[] }>();
  readonly #o: AgentStateOptions;
  #index = 10;
  /** Service name → index of its last change. */
  readonly #nameIndex = new Map<string, number>();
  readonly #waiters = new Set<{ name: string; wake: () => void }>();
  readonly #reaper: NodeJS.Timeout;
  #closed = false;

  constructor(options: AgentStateOptions) {
    this.#o = options;
    this.#reaper = setInterval(() => this.reap(), options.reapIntervalMs);
  }

  /** The index a health query for `name` reports. */
  indexFor(name: string): number {
    return this.#nameIndex.get(name) ?? this.#index;
  }

  register(service: AgentService, checks: HttpCheck[]): void {
    const previous = this.services.get(service.ID);
    for (const check of checks) {
      const old = previous?.checks.find((c) => c.CheckID === check.CheckID);
      if (old) {
        // The agent keeps the state of a check that is registered again.
        check.Status = old.Status;
        check.Output = old.Output;
        check.criticalSince = old.criticalSince;
      }
    }
    if (previous) this.#stopChecks(previous.checks);
    this.services.set(service.ID, { service, checks });
    for (const check of checks) this.#schedule(check, Math.random() * check.intervalMs);
    if (previous && previous.service.Service !== service.Service) this.#changed(previous.service.Service);
    this.#changed(service.Service);
  }

  deregister(id: string): boolean {
    const entry = this.services.get(id);
    if (!entry) return false;
    this.#stopChecks(entry.checks);
    this.services.delete(id);
    this.#changed(entry.service.Service);
    return true;
  }

  /** Resolves when `name`'s index passes `index`, or after `waitMs`. */
  wait(name: string, index: number, waitMs: number): Promise<void> {
    if (this.indexFor(name) > index || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        name,
        wake: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, waitMs);
      this.#waiters.add(waiter);
    });
  }

  /** Removes services whose check stayed critical past `DeregisterCriticalServiceAfter`. */
  reap(): void {
    const now = Date.now();
    for (const [id, { checks }] of [...this.services]) {
      const expired = checks.some(
        (c) =>
          c.deregisterAfterMs !== undefined &&
          c.criticalSince !== undefined &&
          now - c.criticalSince > Math.max(c.deregisterAfterMs, this.#o.minDeregisterAfterMs),
      );
      if (expired) this.deregister(id);
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#reaper);
    for (const { checks } of this.services.values()) this.#stopChecks(checks);
    for (const w of [...this.#waiters]) w.wake();
  }

  #schedule(check: HttpCheck, delayMs: number): void {
    check.timer = setTimeout(async () => {
      const { status, output } = await runHttpCheck(check);
      const entry = this.services.get(check.ServiceID);
      if (this.#closed || !entry?.checks.includes(check)) return; // deregistered meanwhile
      check.Output = output;
      if (status !== check.Status) {
        check.Status = status;
        check.criticalSince = status === 'critical' ? Date.now() : undefined;
        this.#changed(check.ServiceName);
      }
      this.#schedule(check, check.intervalMs);
    }, delayMs);
  }

  #stopChecks(checks: HttpCheck[]): void {
    for (const c of checks) clearTimeout(c.timer);
  }

  #changed(name: string): void {
    this.#index++;
    this.#nameIndex.set(name, this.#index);
    for (const w of [...this.#waiters]) if (w.name === name) w.wake();
  }
}
