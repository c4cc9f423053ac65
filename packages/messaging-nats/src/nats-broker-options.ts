import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { optionChecks } from '@outrig/messaging/adapter-kit';
import { NatsErrors } from './errors.ts';

/** Options of {@link createNatsBroker}. Give `servers` (we connect and own it) or `connection` (yours). */
export interface NatsBrokerOptions {
  /**
   * `nats://host:port` (or `tls://…`): one URL, a comma-separated list (as in `BUS_URL`) or an
   * array. The broker owns and closes this connection.
   */
  readonly servers?: string | readonly string[];
  /** A connection you built (auth, TLS, …). The broker never closes it. */
  readonly connection?: NatsConnection;
  /** Extra options for the connection built from `servers` (credentials, TLS, name). */
  readonly connectOptions?: Omit<NodeConnectionOptions, 'servers'>;
  /**
   * Prefix of stream names and subjects: topic `product.events` → stream
   * `<prefix>_product_events` with subjects `<prefix>.product.events.<partition>`. Default `OUTRIG`.
   * Systems sharing a NATS account use different prefixes.
   */
  readonly streamPrefix?: string;
  /** Partitions per topic; must be the same for every publisher and consumer of a topic. Default 16. */
  readonly partitions?: number;
  /** How long JetStream waits for an ack before redelivering (crash detection). Default 30000. */
  readonly ackWaitMs?: number;
  /**
   * Deliveries before JetStream gives up on a message for a group. Default unlimited (-1): a
   * message JetStream gives up on is skipped without a dead letter, so leave retry limits and
   * dead-lettering to the consumer layer.
   */
  readonly maxDeliver?: number;
  /** Window in which a re-publish of the same event id is dropped (`Nats-Msg-Id`). Default 120000. */
  readonly duplicateWindowMs?: number;
  /** Stream replicas (clustered JetStream). Default 1. */
  readonly replicas?: number;
  /** Stream storage. Default `file`; `memory` loses everything when the server stops. */
  readonly storage?: 'file' | 'memory';
  /** Stream retention by age; 0 keeps messages until deleted. Default 0. */
  readonly maxAgeMs?: number;
  /** Timeout of JetStream API calls, publish acks and ack confirmations. Default 5000. */
  readonly requestTimeoutMs?: number;
  /**
   * Errors that happen in the background (a malformed message terminated, an ack not
   * confirmed, a handler that threw). Default: `process.emitWarning`.
   */
  readonly onError?: (error: Error) => void;
}

/** Options after defaults, as the broker uses them. */
export interface ResolvedNatsBrokerOptions {
  readonly servers: readonly string[] | undefined;
  readonly connection: NatsConnection | undefined;
  readonly connectOptions: Omit<NodeConnectionOptions, 'servers'>;
  readonly streamPrefix: string;
  readonly partitions: number;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly duplicateWindowMs: number;
  readonly replicas: number;
  readonly storage: 'file' | 'memory';
  readonly maxAgeMs: number;
  readonly requestTimeoutMs: number;
  readonly onError: (error: Error) => void;
}

/** The defaults, in one place. */
export const NATS_BROKER_DEFAULTS = {
  streamPrefix: 'OUTRIG',
  partitions: 16,
  ackWaitMs: 30_000,
  maxDeliver: -1,
  duplicateWindowMs: 120_000,
  replicas: 1,
  storage: 'file',
  maxAgeMs: 0,
  requestTimeoutMs: 5_000,
} as const;

/** Applies defaults and validates; throws `NATS_OPTIONS_INVALID` naming the first bad option. */
export function resolveNatsBrokerOptions(options: NatsBrokerOptions): ResolvedNatsBrokerOptions {
  const d = NATS_BROKER_DEFAULTS;
  const servers =
    options.servers === undefined
      ? undefined
      : [options.servers]
          .flat()
          .flatMap((s) => s.split(','))
          .map((s) => s.trim())
          .filter((s) => s !== '');
  if (servers?.length === 0) throw invalid('servers', 'no server URL given');
  if ((servers === undefined) === (options.connection === undefined)) {
    throw invalid('servers', 'give exactly one of `servers` or `connection`');
  }
  for (const server of servers ?? []) checkServer(server);
  const resolved: ResolvedNatsBrokerOptions = {
    servers,
    connection: options.connection,
    connectOptions: options.connectOptions ?? {},
    streamPrefix: options.streamPrefix ?? d.streamPrefix,
    partitions: options.partitions ?? d.partitions,
    ackWaitMs: options.ackWaitMs ?? d.ackWaitMs,
    maxDeliver: options.maxDeliver ?? d.maxDeliver,
    duplicateWindowMs: options.duplicateWindowMs ?? d.duplicateWindowMs,
    replicas: options.replicas ?? d.replicas,
    storage: options.storage ?? d.storage,
    maxAgeMs: options.maxAgeMs ?? d.maxAgeMs,
    requestTimeoutMs: options.requestTimeoutMs ?? d.requestTimeoutMs,
    onError: options.onError ?? ((error) => process.emitWarning(error)),
  };
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(resolved.streamPrefix)) {
    throw invalid('streamPrefix', 'use 1–32 letters, digits, _ or -');
  }
  checkInt('partitions', resolved.partitions, 1, 1024);
  checkInt('ackWaitMs', resolved.ackWaitMs, 100, 24 * 3600_000);
  if (resolved.maxDeliver !== -1) checkInt('maxDeliver', resolved.maxDeliver, 1, 1_000_000);
  checkInt('duplicateWindowMs', resolved.duplicateWindowMs, 100, 7 * 24 * 3600_000);
  checkInt('replicas', resolved.replicas, 1, 5);
  checkInt('maxAgeMs', resolved.maxAgeMs, 0, Number.MAX_SAFE_INTEGER);
  checkInt('requestTimeoutMs', resolved.requestTimeoutMs, 100, 600_000);
  if (resolved.storage !== 'file' && resolved.storage !== 'memory') {
    throw invalid('storage', "use 'file' or 'memory'");
  }
  // JetStream rejects a duplicate window longer than the retention it dedupes against.
  if (resolved.maxAgeMs > 0 && resolved.duplicateWindowMs > resolved.maxAgeMs) {
    throw invalid('duplicateWindowMs', 'must not exceed maxAgeMs');
  }
  return resolved;
}

function checkServer(server: string): void {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw invalid('servers', `${server} is not a URL (nats://host:port)`);
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
    throw invalid('servers', `${server} must start with nats:// or tls://`);
  }
}

function invalid(option: string, reason: string) {
  return NatsErrors.NATS_OPTIONS_INVALID({ params: { option, reason } });
}

const { int: checkInt } = optionChecks(invalid);
