import type { Broker } from './broker.ts';
import { MessagingErrors } from './errors.ts';
import { createMemoryBroker, type MemoryBrokerOptions } from './memory/memory-broker.ts';
import { sharedMemoryHub } from './memory/memory-hub.ts';

/** A transport by URL, an instance, or `{ type, options }` (options go to the factory as is). */
export type BrokerSpec =
  | string
  | Broker
  | { readonly type: string; readonly options?: Record<string, unknown> };

export interface ResolveBrokerOptions {
  /** Extra options for `createMemoryBroker` (`memory:`). */
  readonly memory?: MemoryBrokerOptions;
  /** Extra options for `createPostgresBroker` (`postgres://`), merged under `{ url }`. */
  readonly postgres?: Record<string, unknown>;
  /** Extra options for `createNatsBroker` (`nats://`), merged under `{ servers }`. */
  readonly nats?: Record<string, unknown>;
  /** Extra options for `createKafkaBroker` (`kafka://`), merged under `{ brokers }`. */
  readonly kafka?: Record<string, unknown>;
  /** Extra options for `createRabbitMqBroker` (`amqp://`), merged under `{ url }`. */
  readonly rabbitmq?: Record<string, unknown>;
  /** Extra options for `createRedisBroker` (`redis://`), merged under `{ url }`. */
  readonly redis?: Record<string, unknown>;
  /**
   * Loads an adapter package (default: `import(name)` from here). Pass your own `import` when
   * the adapter is installed where this package cannot see it (strict package managers).
   */
  readonly importModule?: (specifier: string) => Promise<unknown>;
}

interface AdapterEntry {
  readonly schemes: readonly string[];
  readonly package: string;
  readonly factory: string;
  readonly options: (url: string | undefined, o: ResolveBrokerOptions) => Record<string, unknown>;
}

/** Adapters that live in their own packages (each names its client library as a dependency). */
const ADAPTERS: Record<string, AdapterEntry> = {
  postgres: {
    schemes: ['postgres:', 'postgresql:'],
    package: '@outrig/messaging-postgres',
    factory: 'createPostgresBroker',
    options: (url, o) => ({ ...o.postgres, ...(url === undefined ? {} : { url }) }),
  },
  nats: {
    schemes: ['nats:'],
    package: '@outrig/messaging-nats',
    factory: 'createNatsBroker',
    // `nats://a:4222,nats://b:4222` is a cluster: hand the client a list.
    options: (url, o) => ({
      ...o.nats,
      ...(url === undefined ? {} : { servers: url.includes(',') ? url.split(',') : url }),
    }),
  },
  kafka: {
    schemes: ['kafka:'],
    package: '@outrig/messaging-kafka',
    factory: 'createKafkaBroker',
    // `kafka://a:9092,b:9092` is a bootstrap list; the adapter parses it.
    options: (url, o) => ({ ...o.kafka, ...(url === undefined ? {} : { brokers: url }) }),
  },
  rabbitmq: {
    schemes: ['amqp:', 'amqps:'],
    package: '@outrig/messaging-rabbitmq',
    factory: 'createRabbitMqBroker',
    options: (url, o) => ({ ...o.rabbitmq, ...(url === undefined ? {} : { url }) }),
  },
  redis: {
    schemes: ['redis:', 'rediss:'],
    package: '@outrig/messaging-redis',
    factory: 'createRedisBroker',
    options: (url, o) => ({ ...o.redis, ...(url === undefined ? {} : { url }) }),
  },
};

const SUPPORTED =
  'memory:, postgres://, postgresql://, nats://, kafka://, amqp://, amqps://, redis://, rediss://';

/**
 * Turns `BUS_URL` (or an instance, or `{ type, options }`) into a {@link Broker}. Adapter
 * packages are imported only when their scheme is used, so a service installs only its own.
 *
 * - `memory:` → a private in-process broker; `memory://<name>` → the process-wide hub `<name>`
 *   (services in one process share it).
 * - `postgres://…` / `postgresql://…` → `createPostgresBroker({ url, ...options.postgres })`
 * - `nats://host:4222` → `createNatsBroker({ servers: url, ...options.nats })`; a comma-separated
 *   list of URLs becomes `servers: [url1, url2, …]`
 * - `kafka://host:9092[,host:9092]` → `createKafkaBroker({ brokers: url, ...options.kafka })`
 * - `amqp://user:pass@host:5672/vhost` / `amqps://…` → `createRabbitMqBroker({ url, ...options.rabbitmq })`
 * - `redis://host:6379` / `rediss://…` → `createRedisBroker({ url, ...options.redis })`
 *
 * @example
 * const broker = await resolveBroker(config.BUS_URL ?? 'memory:');
 */
export async function resolveBroker(spec: BrokerSpec, options: ResolveBrokerOptions = {}): Promise<Broker> {
  if (typeof spec === 'string') return fromUrl(spec, options);
  if (isBroker(spec)) return spec;
  if (typeof spec === 'object' && spec !== null && typeof spec.type === 'string') {
    if (spec.type === 'memory') return createMemoryBroker({ ...options.memory, ...spec.options });
    const entry = ADAPTERS[spec.type];
    if (entry)
      return load(entry, spec.type, { ...entry.options(undefined, options), ...spec.options }, options);
    throw MessagingErrors.BUS_URL_INVALID({
      params: {
        url: `{ type: ${JSON.stringify(spec.type)} }`,
        schemes: `types memory, ${Object.keys(ADAPTERS).join(', ')}`,
      },
    });
  }
  throw MessagingErrors.BUS_URL_INVALID({ params: { url: String(spec), schemes: SUPPORTED } });
}

function fromUrl(url: string, options: ResolveBrokerOptions): Promise<Broker> | Broker {
  const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(url.trim())?.[1]?.toLowerCase();
  if (scheme === 'memory:') {
    const name = url.trim().slice('memory:'.length).replace(/^\/\//, '').replace(/\/+$/, '');
    return createMemoryBroker({ ...(name ? { hub: sharedMemoryHub(name) } : {}), ...options.memory });
  }
  for (const [type, entry] of Object.entries(ADAPTERS)) {
    if (scheme && entry.schemes.includes(scheme)) {
      // Validate the URL shape now so a typo fails at start with the URL named.
      if (!URL.canParse(url.split(',')[0] ?? url)) break;
      return load(entry, type, entry.options(url, options), options);
    }
  }
  throw MessagingErrors.BUS_URL_INVALID({ params: { url: redact(url), schemes: SUPPORTED } });
}

async function load(
  entry: AdapterEntry,
  type: string,
  factoryOptions: Record<string, unknown>,
  options: ResolveBrokerOptions,
): Promise<Broker> {
  let mod: unknown;
  try {
    mod = await (options.importModule ?? ((s: string) => import(s)))(entry.package);
  } catch (error) {
    if (isMissing(error, entry.package)) {
      throw MessagingErrors.BUS_ADAPTER_MISSING({
        params: { scheme: type, package: entry.package },
        cause: error,
      });
    }
    throw error;
  }
  const factory = (mod as Record<string, unknown> | null)?.[entry.factory];
  if (typeof factory !== 'function') {
    throw MessagingErrors.BUS_ADAPTER_INVALID({ params: { package: entry.package, factory: entry.factory } });
  }
  return (await factory(factoryOptions)) as Broker;
}

function isMissing(error: unknown, pkg: string): boolean {
  const e = error as { code?: string; message?: string } | null;
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    // Only the adapter itself missing — not one of its own dependencies.
    (e.message ?? '').includes(`'${pkg}'`)
  );
}

function isBroker(v: unknown): v is Broker {
  const b = v as Partial<Broker> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.publish === 'function' &&
    typeof b.subscribe === 'function'
  );
}

/** URLs may carry passwords: never put them in an error message. */
function redact(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, '//***@');
}
