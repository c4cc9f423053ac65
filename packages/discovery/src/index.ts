export { type ConsulRegistryOptions, createConsulRegistry } from './consul/consul-registry.ts';
export { createDnsRegistry, type DnsRegistryOptions } from './dns/dns-registry.ts';
export { DiscoveryErrors } from './errors.ts';
// createEtcdRegistry is exported from '@outrig/discovery/etcd': its client library loads only when used.
export type { EtcdRegistryOptions } from './etcd/etcd-registry.ts';
export { createLocalRegistry, type LocalRegistryOptions } from './local/local-registry.ts';
export type {
  InstanceRegistration,
  Registration,
  Registry,
  RegistryCapabilities,
  RegistryKind,
  ServiceInstance,
} from './registry.ts';
export { parseRegistryUrl, type RegistrySpec } from './registry-url.ts';
export { type ResolveRegistryOptions, resolveRegistry } from './resolve-registry.ts';
export { advertisedUrl, versionMeta } from './service/advertise.ts';
export {
  type ConnectDiscoveryOptions,
  connectDiscovery,
  type ServiceDiscovery,
} from './service/connect-discovery.ts';
export { discoveryConfig, discoveryOptions, registryUrl } from './service/discovery-config.ts';
export type { DiscoveryHost } from './service/discovery-host.ts';
export { createStaticRegistry, type StaticServices } from './static/static-registry.ts';
