import { bool, type ConfigKey, int, str, url } from '@outrig/core';
import { parseRegistryUrl } from '../registry-url.ts';

const EXPECTED_REGISTRY =
  'local:, static:name=http://host:port, etcd://host:2379, consul://host:8500 or dns:domain';

/** A `REGISTRY_URL`-style key: parsed at start, so a malformed URL fails with `CONFIG_INVALID`. */
export function registryUrl(init: { env: string; doc: string; default?: string }): ConfigKey<string> {
  return {
    ...init,
    expected: EXPECTED_REGISTRY,
    parse(raw) {
      const value = raw.trim();
      try {
        parseRegistryUrl(value);
      } catch (err) {
        const reason = (err as { details?: { reason?: string } }).details?.reason ?? (err as Error).message;
        throw new Error(`${EXPECTED_REGISTRY} (${reason})`);
      }
      return value;
    },
  };
}

/**
 * Config keys for discovery; spread them into `createService({ config })` and pass the values to
 * `connectDiscovery`. `OUTRIG_HOME` is the same key as `databaseConfig`'s.
 */
export const discoveryConfig = {
  registryUrl: registryUrl({
    env: 'REGISTRY_URL',
    doc: 'Service registry: local: (one machine, no server), etcd://, consul://, dns: or static:',
    default: 'local:',
  }),
  autoRegisterService: bool({
    env: 'AUTO_REGISTER_SERVICE',
    doc: 'Register this instance in the registry once it listens, deregister at shutdown',
    default: true,
  }),
  registryTtlS: int({
    env: 'REGISTRY_TTL_S',
    doc: 'Seconds a crashed instance may stay listed (heartbeat / lease TTL; Consul checks every third)',
    default: 10,
    min: 1,
    max: 3600,
  }),
  advertiseHost: str({
    env: 'SERVICE_ADVERTISE_HOST',
    doc: "Host others reach this instance on (default: SERVICE_HOST, or the machine's address when that is 0.0.0.0 or ::)",
    optional: true,
  }),
  advertiseUrl: url({
    env: 'SERVICE_ADVERTISE_URL',
    doc: 'Full URL others reach this instance on (behind NAT or TLS termination); overrides SERVICE_ADVERTISE_HOST',
    optional: true,
    schemes: ['http', 'https'],
  }),
  outrigHome: str({
    env: 'OUTRIG_HOME',
    doc: 'Root folder of the system; local: keeps the registry in <OUTRIG_HOME>/.outrig/registry',
    default: '.',
  }),
} as const;

/** The `connectDiscovery` options for a service whose config includes `discoveryConfig`. */
export function discoveryOptions(config: {
  registryUrl: string;
  autoRegisterService: boolean;
  registryTtlS: number;
  advertiseHost?: string | undefined;
  advertiseUrl?: string | undefined;
  outrigHome?: string | undefined;
}): {
  url: string;
  autoRegister: boolean;
  ttlSeconds: number;
  advertiseHost?: string;
  advertiseUrl?: string;
  home?: string;
} {
  return {
    url: config.registryUrl,
    autoRegister: config.autoRegisterService,
    ttlSeconds: config.registryTtlS,
    ...(config.advertiseHost === undefined ? {} : { advertiseHost: config.advertiseHost }),
    ...(config.advertiseUrl === undefined ? {} : { advertiseUrl: config.advertiseUrl }),
    ...(config.outrigHome === undefined ? {} : { home: config.outrigHome }),
  };
}
