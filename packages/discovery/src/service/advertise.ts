import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

/**
 * The URL other services reach this instance on: `advertiseUrl` as is, else
 * `http://<advertiseHost or the listening address>:<listening port>`. A wildcard listening
 * address (0.0.0.0, ::) is replaced by this machine's first external IPv4 address (or its
 * host name): the wildcard is not reachable from anywhere else.
 */
export function advertisedUrl(
  address: AddressInfo | string | null,
  options: { advertiseUrl?: string; advertiseHost?: string },
): string | undefined {
  if (options.advertiseUrl) return new URL(options.advertiseUrl).origin;
  if (address === null || typeof address === 'string') return undefined; // pipe: not reachable over TCP
  const host = options.advertiseHost ?? reachableHost(address.address);
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${address.port}`;
}

function reachableHost(listening: string): string {
  if (listening !== '0.0.0.0' && listening !== '::') return listening;
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (external) return external.address;
  }
  return hostname();
}

/**
 * Instance metadata from the served API versions: `versions` ("1,2"), `latest` (the highest
 * that is not a preview, "2") and, when there are some, `deprecated` ("1") and `preview` ("3").
 */
export function versionMeta(
  versions: readonly { version: string; status: string }[],
): Record<string, string> {
  const numbers = (filter: (s: string) => boolean) =>
    versions
      .filter((v) => filter(v.status))
      .map((v) => v.version.replace(/^v/, ''))
      .join(',');
  const meta: Record<string, string> = {};
  const all = numbers(() => true);
  if (all) meta.versions = all;
  const released = numbers((s) => s !== 'preview');
  if (released) meta.latest = String(Math.max(...released.split(',').map(Number)));
  const deprecated = numbers((s) => s === 'deprecated');
  if (deprecated) meta.deprecated = deprecated;
  const preview = numbers((s) => s === 'preview');
  if (preview) meta.preview = preview;
  return meta;
}
