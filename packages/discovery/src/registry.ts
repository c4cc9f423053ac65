/** The registries `resolveRegistry` knows, by URL scheme. */
export type RegistryKind = 'local' | 'consul' | 'etcd' | 'dns' | 'static';

/** One running instance of a service, as a registry lists it. */
export interface ServiceInstance {
  /** Unique within the service name (default `<name>-<host>-<port>-<random>`). */
  readonly id: string;
  readonly name: string;
  /** Origin the instance answers on: `http://host:port` (no path, no trailing slash). */
  readonly url: string;
  /**
   * String metadata. `connectDiscovery` publishes the API versions: `versions` ("1,2"),
   * `latest` ("2") and `deprecated` ("1") when some are.
   */
  readonly meta: Readonly<Record<string, string>>;
}

/** What an instance registers. */
export interface InstanceRegistration {
  /** Service name: letters, digits, `.`, `_`, `-`; starts with a letter or digit. */
  name: string;
  /** `http://host:port` or `https://host:port` (a path is refused: instances are origins). */
  url: string;
  meta?: Record<string, string>;
  /** Default `<name>-<host>-<port>-<random>`. */
  id?: string;
  /**
   * Seconds after which an instance that stopped heartbeating is no longer listed (local, etcd);
   * for Consul, the health-check interval is a third of it. Default: the registry's TTL.
   */
  ttlSeconds?: number;
  /** Health endpoint a registry that checks (Consul) calls. Default `<url>/health`. */
  healthUrl?: string;
}

/** A live registration; the registry keeps it alive (heartbeats, lease keep-alive) until deregistered. */
export interface Registration {
  readonly instance: ServiceInstance;
  /**
   * Removes the instance now (idempotent) and stops keeping it alive. Rejects when the registry
   * cannot be reached; the entry then expires on its own (TTL, lease, health check).
   */
  deregister(): Promise<void>;
}

/** What an adapter can do, so callers can adapt (e.g. not register through a read-only registry). */
export interface RegistryCapabilities {
  /** Instances can register through it (false for `dns:` and `static:`). */
  readonly register: boolean;
  /** How `watch` learns of changes: pushed by the server, polled, or never (a fixed list). */
  readonly watch: 'push' | 'poll' | 'fixed';
  /** What removes an instance that died without deregistering. */
  readonly expiry: 'ttl' | 'health-check' | 'none';
}

/**
 * The Registry port: where service instances register and are found.
 *
 * - `register` resolves once the instance is stored; the adapter then keeps it alive on its own
 *   (heartbeats, lease keep-alive, re-registration when the server forgot it) until
 *   `deregister()`. An instance whose process dies leaves the healthy list within its TTL
 *   (local, etcd) or after its health check fails (Consul).
 * - `list` returns the healthy instances of one service now, sorted by id. An unknown service
 *   is an empty list; an unreachable registry rejects with `REGISTRY_UNAVAILABLE`.
 * - `watch` calls `onChange` with the current list soon after it is called (never synchronously),
 *   then each time the set of instances changes — never twice in a row with the same list, never
 *   concurrently. When the registry is unreachable it keeps the last list and retries; it never
 *   throws. The returned function stops the watch.
 * - `check` resolves when the registry answers (readiness).
 * - `close` stops every watch, deregisters the instances still registered through this registry
 *   (best effort: an unreachable server lets them expire) and releases connections. Idempotent.
 *
 * Methods may be called concurrently.
 */
export interface Registry {
  readonly kind: RegistryKind;
  readonly capabilities: RegistryCapabilities;
  /** Throws `REGISTRY_READ_ONLY` on `dns:` and `static:`. */
  register(registration: InstanceRegistration): Promise<Registration>;
  list(name: string): Promise<ServiceInstance[]>;
  watch(name: string, onChange: (instances: ServiceInstance[]) => void): () => void;
  check(): Promise<void>;
  close(): Promise<void>;
}
