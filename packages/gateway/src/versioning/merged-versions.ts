import { Type } from '@outrig/core';
import type { ServiceDocuments } from '../documents/service-documents.ts';
import type { Upstream } from '../upstream/upstream.ts';

const VersionInfo = Type.Object({
  version: Type.String(),
  status: Type.String({ description: 'current, supported, deprecated or preview' }),
  deprecated: Type.Optional(Type.String()),
  sunset: Type.Optional(Type.String()),
  successor: Type.Optional(Type.String()),
});

/** The gateway's `GET /api/versions` answer (inside the `data` envelope). */
export const MergedVersionsSchema = Type.Object({
  services: Type.Array(
    Type.Object({
      service: Type.String(),
      latest: Type.Optional(Type.String()),
      versions: Type.Array(VersionInfo),
      source: Type.String({
        description:
          "'service': the service's own /api/versions; 'registry': versions from registry metadata",
      }),
    }),
  ),
});

type Info = { version: string; status: string; deprecated?: string; sunset?: string; successor?: string };
export interface ServiceVersions {
  service: string;
  latest?: string;
  versions: Info[];
  source: 'service' | 'registry';
}

/**
 * `/api/versions` of every versioned service behind the gateway: each service's own answer
 * (cached), or — when no instance answers — what its registry metadata says (`versions`,
 * `latest`, `deprecated`, `preview`), without dates. Services with neither are left out.
 */
export async function mergedVersions(
  upstreams: readonly Upstream[],
  documents: ServiceDocuments,
): Promise<{ services: ServiceVersions[] }> {
  const services = await Promise.all(
    upstreams.map(async (upstream): Promise<ServiceVersions | undefined> => {
      const fetched = await documents.get(upstream);
      const data = fetched.ok
        ? (fetched.value as { data?: { latest?: string; versions?: Info[] } }).data
        : undefined;
      if (data && Array.isArray(data.versions)) {
        return { service: upstream.name, latest: data.latest, versions: data.versions, source: 'service' };
      }
      return fromMetadata(upstream);
    }),
  );
  return {
    services: services
      .filter((s): s is ServiceVersions => s !== undefined)
      .sort((a, b) => a.service.localeCompare(b.service)),
  };
}

function fromMetadata(upstream: Upstream): ServiceVersions | undefined {
  const meta = upstream.metadata().find((m) => m?.versions);
  if (!meta?.versions) return undefined;
  const numbers = (list: string | undefined) => new Set((list ?? '').split(',').filter(Boolean).map(Number));
  const deprecated = numbers(meta.deprecated);
  const preview = numbers(meta.preview);
  const latest = upstream.latestVersion();
  const versions = [...numbers(meta.versions)]
    .sort((a, b) => a - b)
    .map((n) => ({
      version: `v${n}`,
      status: deprecated.has(n)
        ? 'deprecated'
        : preview.has(n)
          ? 'preview'
          : n === latest
            ? 'current'
            : 'supported',
    }));
  return {
    service: upstream.name,
    ...(latest === undefined ? {} : { latest: `v${latest}` }),
    versions,
    source: 'registry',
  };
}
