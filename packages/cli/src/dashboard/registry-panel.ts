import { type Registry, resolveRegistry, type ServiceInstance } from '@outrig/discovery';

/** What the registry says of one service: its registered instances, or why it could not say. */
export type RegistryAnswer = { readonly instances: readonly ServiceInstance[] } | { readonly error: string };

/**
 * The instances the services registered (the registry the system uses in this run: `local:`
 * under OUTRIG_HOME unless REGISTRY_URL names another), opened on first use.
 */
export class RegistryPanel {
  readonly #spec: string;
  readonly #home: string;
  #registry: Promise<Registry> | undefined;

  constructor(spec: string, home: string) {
    this.#spec = spec;
    this.#home = home;
  }

  async instances(service: string): Promise<RegistryAnswer> {
    try {
      this.#registry ??= resolveRegistry(this.#spec, { home: this.#home, onError: () => {} });
      return { instances: await (await this.#registry).list(service) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    const registry = await this.#registry?.catch(() => undefined);
    await registry?.close();
  }
}
