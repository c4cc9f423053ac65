import { type FSWatcher, watch as fsWatch, mkdirSync } from 'node:fs';
import { access, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DiscoveryErrors } from '../errors.ts';
import { checkServiceName, checkTtl, sortInstances, toInstance } from '../internal/instance.ts';
import { InstanceWatch } from '../internal/instance-watch.ts';
import { RegistryResources } from '../internal/registry-resources.ts';
import type { InstanceRegistration, Registration, Registry, ServiceInstance } from '../registry.ts';
import { readLiveInstances, removeRecord, serviceDir, writeRecord } from './instance-files.ts';

export interface LocalRegistryOptions {
  /** Folder holding `<name>/<id>.json`; `resolveRegistry` uses `<OUTRIG_HOME>/.outrig/registry`. */
  dir: string;
  /** Default TTL of a registration, seconds. Default 10; heartbeats every third of it. */
  ttlSeconds?: number;
  /** How often `watch` rescans for expired instances (file events cover the rest). Default 1000 ms. */
  rescanMs?: number;
  /** Told about failed heartbeats and watch reads (the registry retries). */
  onError?: (err: unknown) => void;
}

/**
 * The registry for one machine: every instance is a JSON file under `dir`, rewritten (heartbeat)
 * every third of its TTL. Readers skip and delete files whose heartbeat is older than the TTL or
 * whose process is gone, so a crashed instance disappears; a paused one comes back on its next
 * heartbeat. Watches use file events plus a periodic rescan. No server: the processes that
 * `npm start` runs share the folder. See docs/architecture/0005-local-registry.md.
 *
 * @example
 * const registry = createLocalRegistry({ dir: '.outrig/registry', ttlSeconds: 10 });
 * const reg = await registry.register({ name: 'inventory-service', url: 'http://127.0.0.1:8004' });
 * console.log(await registry.list('inventory-service'));
 * await reg.deregister();
 */
export function createLocalRegistry(options: LocalRegistryOptions): Registry {
  const root = path.resolve(options.dir);
  const defaultTtl = options.ttlSeconds ?? 10;
  checkTtl(defaultTtl);
  const rescanMs = options.rescanMs ?? 1000;
  if (!Number.isInteger(rescanMs) || rescanMs < 10) {
    throw DiscoveryErrors.REGISTRY_OPTIONS_INVALID({
      params: { reason: `rescanMs must be ≥ 10, got ${rescanMs}` },
    });
  }
  const resources = new RegistryResources('local');

  const registry: Registry = {
    kind: 'local',
    capabilities: { register: true, watch: 'push', expiry: 'ttl' },

    async register(r: InstanceRegistration): Promise<Registration> {
      resources.ensureOpen();
      const instance = toInstance(r);
      const ttlMs = (r.ttlSeconds ?? defaultTtl) * 1000;
      await writeRecord(root, instance, ttlMs).catch((err) => {
        throw unavailable(err);
      });
      let active = true;
      const heartbeat = setInterval(
        () => {
          writeRecord(root, instance, ttlMs).catch((err) => options.onError?.(unavailable(err)));
        },
        Math.max(1, Math.floor(ttlMs / 3)),
      );
      heartbeat.unref();
      const registration: Registration = {
        instance,
        async deregister() {
          if (!active) return;
          active = false;
          clearInterval(heartbeat);
          resources.ended(registration);
          await removeRecord(root, instance);
        },
      };
      resources.registered(registration);
      return registration;
    },

    async list(name: string): Promise<ServiceInstance[]> {
      resources.ensureOpen();
      checkServiceName(name);
      try {
        return sortInstances(await readLiveInstances(root, name));
      } catch (err) {
        throw unavailable(err);
      }
    },

    watch(name, onChange) {
      resources.ensureOpen();
      checkServiceName(name);
      const dir = serviceDir(root, name);
      let watcher: FSWatcher | undefined;
      const w = new InstanceWatch({
        load: () => {
          watcher ??= watchDir(dir, () => w.trigger(), options.onError);
          return registry.list(name);
        },
        onChange,
        intervalMs: rescanMs,
        onError: options.onError,
      }).start();
      return resources.watching(() => {
        w.stop();
        watcher?.close();
      });
    },

    async check() {
      resources.ensureOpen();
      try {
        await mkdir(root, { recursive: true });
        await access(root, constants.R_OK | constants.W_OK);
      } catch (err) {
        throw unavailable(err);
      }
    },

    async close() {
      if (resources.closed) return;
      await resources.close();
    },
  };
  return registry;
}

/** File events for the service's folder (created if absent); undefined when the platform refuses. */
function watchDir(dir: string, onEvent: () => void, onError?: (err: unknown) => void): FSWatcher | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    const watcher = fsWatch(dir, { persistent: false }, onEvent);
    watcher.on('error', (err) => {
      onError?.(err);
      watcher.close(); // the periodic rescan goes on
    });
    return watcher;
  } catch (err) {
    onError?.(err);
    return undefined;
  }
}

function unavailable(err: unknown) {
  return DiscoveryErrors.REGISTRY_UNAVAILABLE({
    params: { kind: 'local', reason: (err as Error).message },
    cause: err,
  });
}
