import { promisify } from 'node:util';

/**
 * Delivery counts kept in Kafka itself, as the metadata string of a committed offset
 * (`outrig:attempts=<n>`): before a member first hands out the message at a partition's
 * committed position it commits that same offset with the count raised by one, and a nack of
 * that message raises it again. The next owner of the partition (after a crash) reads it back
 * with the committed offsets, so a message that keeps killing its consumers shows attempt 2, 3,
 * … and the consumer layer can dead-letter it.
 *
 * @platformatic/kafka always commits `metadata: null` and drops the metadata it fetches, so this
 * wraps the client's OffsetCommit/OffsetFetch API functions on one consumer instance (through
 * its `plt.kafka.base.getApi` method; checked by this package's tests against the mock).
 */
export class OffsetMetadata {
  /** Metadata committed with `topic:partition`'s offset, as last fetched. */
  readonly #fetched = new Map<string, { offset: bigint; metadata: string | null }>();
  /** Metadata to send when exactly this offset of `topic:partition` is committed. */
  readonly #outgoing = new Map<string, { offset: bigint; metadata: string }>();
  /** False when the client's internals did not look as expected: counts stay per member. */
  readonly installed: boolean;

  constructor(consumer: object) {
    this.installed = this.#install(consumer);
  }

  /** Deliveries of `offset` recorded in Kafka (0 if none, or if the committed offset differs). */
  attempts(topic: string, partition: number, offset: bigint): number {
    const fetched = this.#fetched.get(`${topic}:${partition}`);
    if (!fetched || fetched.offset !== offset) return 0;
    const n = /^outrig:attempts=(\d{1,9})$/.exec(fetched.metadata ?? '')?.[1];
    return n === undefined ? 0 : Number(n);
  }

  /** The next commit of exactly `offset` carries `attempts` (later offsets carry none). */
  setAttempts(topic: string, partition: number, offset: bigint, attempts: number): void {
    this.#outgoing.set(`${topic}:${partition}`, { offset, metadata: `outrig:attempts=${attempts}` });
    this.#fetched.set(`${topic}:${partition}`, { offset, metadata: `outrig:attempts=${attempts}` });
  }

  #install(consumer: object): boolean {
    let proto: object | null = consumer;
    let getApi: symbol | undefined;
    while (proto && !getApi) {
      getApi = Object.getOwnPropertySymbols(proto).find((s) => s.description === 'plt.kafka.base.getApi');
      proto = Object.getPrototypeOf(proto);
    }
    const target = consumer as Record<symbol, unknown>;
    if (!getApi || typeof target[getApi] !== 'function') return false;
    const original = (target[getApi] as ApiGetter).bind(consumer);
    target[getApi] = ((name, callback) =>
      original(name, (error, api) => {
        if (error || !api) callback(error, api);
        else if (name === 'OffsetCommit') callback(null, this.#wrapCommit(api));
        else if (name === 'OffsetFetch') callback(null, this.#wrapFetch(api));
        else callback(null, api);
      })) satisfies ApiGetter;
    return true;
  }

  #wrapCommit(api: ApiFunction): ApiFunction {
    return withProps(api, (connection, ...args) => {
      for (const arg of args) {
        if (!Array.isArray(arg)) continue;
        for (const topic of arg as CommitTopic[]) {
          for (const p of topic?.partitions ?? []) {
            if (typeof p?.committedOffset !== 'bigint') continue;
            const out = this.#outgoing.get(`${topic.name}:${p.partitionIndex}`);
            p.committedMetadata = out && out.offset === p.committedOffset ? out.metadata : null;
          }
        }
      }
      api(connection, ...args);
    });
  }

  #wrapFetch(api: ApiFunction): ApiFunction {
    return withProps(api, (connection, ...args) => {
      const callback = typeof args.at(-1) === 'function' ? (args.pop() as Callback) : () => {};
      api(connection, ...args, (error: unknown, response: FetchResponse | undefined) => {
        if (!error && response) {
          const topics = [
            ...(response.groups ?? []).flatMap((g) => g.topics ?? []),
            ...(response.topics ?? []),
          ];
          for (const topic of topics) {
            for (const p of topic.partitions ?? []) {
              this.#fetched.set(`${topic.name}:${p.partitionIndex}`, {
                offset: BigInt(p.committedOffset),
                metadata: p.metadata ?? null,
              });
            }
          }
        }
        callback(error, response);
      });
    });
  }
}

type Callback = (error: unknown, result?: unknown) => void;
type ApiFunction = ((connection: unknown, ...args: unknown[]) => void) & Record<string, unknown>;
type ApiGetter = (name: string, callback: (error: Error | null, api?: ApiFunction) => void) => void;
interface CommitTopic {
  name: string;
  partitions: { partitionIndex: number; committedOffset: bigint; committedMetadata?: string | null }[];
}
interface FetchTopic {
  name: string;
  partitions?: { partitionIndex: number; committedOffset: bigint | number; metadata?: string | null }[];
}
interface FetchResponse {
  groups?: { topics?: FetchTopic[] }[];
  topics?: FetchTopic[];
}

/** A replacement API function with the original's `key`/`version` and a matching `async`. */
function withProps(api: ApiFunction, fn: (connection: unknown, ...args: unknown[]) => void): ApiFunction {
  const wrapped = fn as ApiFunction;
  wrapped.key = api.key;
  wrapped.version = api.version;
  wrapped.async = promisify(fn);
  return wrapped;
}
