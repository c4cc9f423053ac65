import type { Broker } from '@outrig/messaging';

/**
 * What a transport's test file passes to the shared conformance suite. Every adapter calls
 * `describeBrokerConformance(options)` from its own `test/conformance.test.ts`, against its real
 * server; the suite runs the checks that match the adapter's declared `capabilities`.
 *
 * @example
 * describeBrokerConformance({
 *   name: 'nats',
 *   available: () => serverAvailable('nats'),
 *   create: () => createNatsBroker({ servers: testServers.nats, ackWaitMs: 1000 }),
 *   crash: (b) => (b as NatsBroker).destroyForTests(),
 * });
 */
export interface BrokerConformanceOptions {
  /** Shown in the describe() title. */
  readonly name: string;
  /** Resolves false to skip locally (use `serverAvailable`, which throws under CI=true). */
  available?(): Promise<boolean>;
  /**
   * A new, independent broker instance — the equivalent of another process — connected to the
   * real server. The suite closes what it creates. Unacked messages must be redelivered within
   * a few seconds (configure short ack-wait/lease times for tests).
   */
  create(): Promise<Broker>;
  /**
   * Simulates a crash of the process owning `broker`: drop its connections without acking,
   * nacking or closing gracefully. If omitted, the crash-redelivery check is skipped.
   */
  crash?(broker: Broker): Promise<void>;
  /** Stops and restarts the real server (reconnect check). If omitted, that check is skipped. */
  restartServer?(): Promise<void>;
  /**
   * What the server holds for `topics` on behalf of readers: consumer groups, consumers,
   * committed offsets — one name per thing (e.g. `group billing`, `consumer oc_x_1`). The tail
   * check calls it after a tail closed and expects nothing; if omitted, that check is skipped.
   */
  leftovers?(topics: readonly string[]): Promise<string[]>;
  /** Per-check timeout in ms; default 20000. */
  readonly timeoutMs?: number;
  /**
   * Called once after every check with every topic the run used (dead-letter topics included),
   * after all brokers are closed: delete streams/tables the adapter created for them.
   */
  cleanup?(topics: readonly string[]): Promise<void>;
}
