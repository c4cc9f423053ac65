import type { AddressInfo } from 'node:net';
import type { Registry } from '../registry.ts';

/**
 * The part of an `@outrig/core` Service that discovery attaches to: readiness, close hooks, the
 * logger, and the Fastify hooks that run once the server listens (register) and before it stops
 * accepting connections (deregister). Typed structurally so this package does not depend on the
 * HTTP kit's types.
 */
export interface DiscoveryHost {
  readonly name: string;
  readonly log: {
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
  };
  readiness(name: string, check: () => Promise<void>): unknown;
  onClose(name: string, hook: () => Promise<void> | void): unknown;
  readonly app: {
    addHook(name: 'onListen', hook: () => Promise<void>): unknown;
    addHook(name: 'preClose', hook: () => Promise<void>): unknown;
    readonly server: { address(): AddressInfo | string | null };
  };
  /** The versions the service serves (`service.apiVersions()`), published as instance metadata. */
  apiVersions?(): readonly { version: string; status: string }[];
  /** Where the service client finds the services it calls (`service.useInstances`): the registry. */
  useInstances?(source: Pick<Registry, 'list' | 'watch'>): unknown;
}
