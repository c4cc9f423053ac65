/**
 * The scrape targets of the reference system, derived from `examples/shop/outrig.json` — the file
 * Prometheus reads through `file_sd_configs` (`targets/shop.json`). Regenerate it after adding a
 * service to outrig.json: `node examples/shop/ops/prometheus/generate-targets.ts`.
 */
import shop from '../../outrig.json' with { type: 'json' };

/** A service of outrig.json, as the targets need it. */
export interface ServiceSpec {
  readonly name: string;
  readonly port: number;
}

/** The services of examples/shop/outrig.json, in its order. */
export const services: readonly ServiceSpec[] = Object.entries(shop.services).map(([name, s]) => ({
  name,
  port: s.port,
}));

/** One Prometheus file_sd target group: a service's instances, labelled with its `job`. */
export interface TargetGroup {
  readonly targets: readonly string[];
  readonly labels: { readonly job: string };
}

export interface ScrapeTargetOptions {
  /** Where the services listen. Default `127.0.0.1` (`SERVICE_HOST`'s default). */
  readonly host?: string;
  /** A service's port. Default: its port in outrig.json. */
  readonly port?: (spec: ServiceSpec) => number;
}

/**
 * One target group per service, `job` = the service name (every series also carries the
 * service's own `service` label, set by `@outrig/core`).
 *
 * @example
 * scrapeTargets(); // [{ targets: ['127.0.0.1:8004'], labels: { job: 'inventory-service' } }, …]
 */
export function scrapeTargets(
  specs: readonly ServiceSpec[] = services,
  options: ScrapeTargetOptions = {},
): TargetGroup[] {
  const host = options.host ?? '127.0.0.1';
  return specs.map((spec) => ({
    targets: [`${host}:${options.port?.(spec) ?? spec.port}`],
    labels: { job: spec.name },
  }));
}

/** The file_sd JSON text, one group per line (the layout `biome format` keeps). */
export function renderTargets(groups: readonly TargetGroup[]): string {
  const lines = groups.map((g) => {
    const targets = g.targets.map((t) => JSON.stringify(t)).join(', ');
    return `  { "targets": [${targets}], "labels": { "job": ${JSON.stringify(g.labels.job)} } }`;
  });
  return `[\n${lines.join(',\n')}\n]\n`;
}
