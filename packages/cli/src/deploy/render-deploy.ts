import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CliErrors } from '../errors.ts';
import type { DeployModel } from './deploy-model.ts';
import { renderCompose } from './render-compose.ts';
import { renderDockerfile, renderDockerignore } from './render-dockerfile.ts';
import { renderEnvoy } from './render-envoy.ts';
import { renderHaproxy } from './render-haproxy.ts';
import { renderK8s } from './render-k8s.ts';

/** What `outrig deploy render --target` accepts (`all` = every one). */
export const DEPLOY_TARGETS = ['dockerfile', 'compose', 'k8s', 'haproxy', 'envoy'] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

/** The folder of each target under the output folder. */
export const TARGET_DIRS: Record<DeployTarget, string> = {
  dockerfile: 'docker',
  compose: 'compose',
  k8s: 'k8s/base',
  haproxy: 'haproxy',
  envoy: 'envoy',
};

/** `all`, or a comma-separated list, to targets; CLI_DEPLOY_TARGET_UNKNOWN for anything else. */
export function parseTargets(value: string): DeployTarget[] {
  if (value === 'all') return [...DEPLOY_TARGETS];
  return value.split(',').map((t) => {
    const target = t.trim() as DeployTarget;
    if (!DEPLOY_TARGETS.includes(target)) {
      throw CliErrors.CLI_DEPLOY_TARGET_UNKNOWN({
        params: { target: t, targets: `${DEPLOY_TARGETS.join(', ')}, all` },
      });
    }
    return target;
  });
}

/**
 * Every file of the chosen targets, by path relative to `outDir` (`docker/…`, `compose/…`,
 * `k8s/base/…`, `haproxy/haproxy.cfg`, `envoy/envoy.yaml`). Pure apart from reading the shipped
 * ops files (alert rules, dashboards), which are copied.
 */
export async function renderDeploy(
  model: DeployModel,
  targets: readonly DeployTarget[],
  outDir: string,
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const add = (prefix: string, record: Record<string, string>) => {
    for (const [file, content] of Object.entries(record)) files.set(`${prefix}/${file}`, content);
  };
  if (targets.includes('dockerfile')) {
    for (const s of model.services) {
      files.set(`docker/${s.name}.Dockerfile`, renderDockerfile(s));
      files.set(`docker/${s.name}.Dockerfile.dockerignore`, renderDockerignore());
    }
  }
  if (targets.includes('compose')) {
    add('compose', renderCompose(model, outDir));
    if (model.ops.alerts)
      files.set('compose/prometheus/alerts.yml', await readFile(model.ops.alerts, 'utf8'));
    for (const d of model.ops.dashboards) {
      files.set(`compose/grafana/dashboards/${path.basename(d)}`, await readFile(d, 'utf8'));
    }
  }
  if (targets.includes('k8s')) add('k8s/base', renderK8s(model));
  if (targets.includes('haproxy')) files.set('haproxy/haproxy.cfg', renderHaproxy(model));
  if (targets.includes('envoy')) files.set('envoy/envoy.yaml', renderEnvoy(model));
  return files;
}
