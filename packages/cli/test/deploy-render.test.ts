// biome-ignore-all lint/suspicious/noExplicitAny: the parsed YAML is walked freely in assertions
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { certNames, makeDevCerts } from '../src/deploy/deploy-certs.ts';
import { buildDeployModel, type DeployModel } from '../src/deploy/deploy-model.ts';
import { renderDeploy } from '../src/deploy/render-deploy.ts';
import { renderHaproxy } from '../src/deploy/render-haproxy.ts';
import { run } from '../src/run.ts';
import { loadSystem } from '../src/system/system-file.ts';
import {
  checkCompose,
  checkDockerfile,
  checkK8sObject,
  checkProtoJson,
  envoyProtos,
} from './support/deploy-checks.ts';

const exec = promisify(execFile);
const SHOP = path.resolve(import.meta.dirname, '../../../examples/shop');

let model: DeployModel;
let files: Map<string, string>;
let tmp: string;

beforeAll(async () => {
  model = await buildDeployModel(await loadSystem(SHOP));
  files = await renderDeploy(
    model,
    ['dockerfile', 'compose', 'k8s', 'haproxy', 'envoy'],
    path.join(SHOP, 'deploy'),
  );
  tmp = await mkdtemp(path.join(tmpdir(), 'outrig-deploy-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), cwd: SHOP, env: {} });
  return { code, out, err };
}

describe('outrig deploy render', () => {
  it('writes every file once; a second render writes nothing; --dry-run writes nothing', async () => {
    const out = path.join(tmp, 'render');
    const dry = await cli(['deploy', 'render', '--out', out, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(await readdir(out).catch(() => [])).toEqual([]);
    const first = await cli(['deploy', 'render', '--out', out, '--json']);
    expect(first.code, first.err).toBe(0);
    const report = JSON.parse(first.out) as {
      files: { file: string; status: string }[];
      skippedRoutes: unknown[];
    };
    expect(report.files.length).toBe(files.size);
    expect(report.files.every((f) => f.status === 'created')).toBe(true);
    expect(report.skippedRoutes).toContainEqual({ path: '/api/*/users', service: 'user-service' });
    const second = await cli(['deploy', 'render', '--out', out, '--json']);
    expect((JSON.parse(second.out) as typeof report).files.every((f) => f.status === 'unchanged')).toBe(true);
    await writeFile(path.join(out, 'haproxy/haproxy.cfg'), 'edited by hand\n');
    const third = await cli(['deploy', 'render', '--out', out, '--target', 'haproxy']);
    expect(third.out).toMatch(/^updated\s+\S+haproxy\.cfg$/m);
    expect(third.out).toMatch(/1 file\(s\) written, 0 unchanged/);
  });

  it('--check fails while a file would change or is stale, and passes when the files are current', async () => {
    const out = path.join(tmp, 'check');
    const before = await cli(['deploy', 'render', '--out', out, '--target', 'k8s', '--check']);
    expect(before.code).toBe(1);
    const k8sFiles = [...files.keys()].filter((f) => f.startsWith('k8s/base/')).length;
    expect(before.err).toContain(`CLI_DEPLOY_OUT_OF_DATE: ${k8sFiles} deployment file(s) in ${out} differ`);
    expect(await readdir(out).catch(() => [])).toEqual([]);
    await cli(['deploy', 'render', '--out', out, '--target', 'k8s']);
    expect((await cli(['deploy', 'render', '--out', out, '--target', 'k8s', '--check'])).code).toBe(0);
    await writeFile(path.join(out, 'k8s/base/old-service.yaml'), 'kind: Deployment\n');
    const stale = await cli(['deploy', 'render', '--out', out, '--target', 'k8s', '--check']);
    expect(stale.code).toBe(1);
    expect(stale.out).toMatch(/^stale\s+\S+old-service\.yaml \(no longer rendered/m);
    const committed = await cli(['deploy', 'render', '--check']);
    expect(committed.code, committed.out + committed.err).toBe(0);
  });

  it('writes YAML without anchors or aliases (files a team reads and edits)', () => {
    const yamlFiles = [...files].filter(([f]) => /\.ya?ml$/.test(f));
    expect(yamlFiles.length).toBeGreaterThan(5);
    for (const [file, text] of yamlFiles) expect(text, file).not.toMatch(/(^|\s)[&*]a\d+\b/m);
  });

  it('rejects an unknown target with a coded error', async () => {
    const result = await cli(['deploy', 'render', '--target', 'nomad', '--dry-run']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/CLI_DEPLOY_TARGET_UNKNOWN: Unknown deploy target nomad/);
  });

  it('warns when a service uses messaging without the transport adapter (its image would not start)', async () => {
    const root = path.join(tmp, 'no-adapter');
    await mkdir(path.join(root, 'services', 'a'), { recursive: true });
    await writeFile(
      path.join(root, 'package.json'),
      JSON.stringify({ name: 'x', workspaces: ['services/*'] }),
    );
    await writeFile(
      path.join(root, 'outrig.json'),
      JSON.stringify({ name: 'x', services: { a: { dir: 'services/a', port: 8001 } } }),
    );
    await writeFile(
      path.join(root, 'services', 'a', 'package.json'),
      JSON.stringify({ name: '@x/a', dependencies: { '@outrig/messaging': '0.1.0' } }),
    );
    const warned = await buildDeployModel(await loadSystem(root));
    expect(warned.warnings).toEqual([
      expect.stringMatching(/^a uses @outrig\/messaging but does not depend on @outrig\/messaging-postgres/),
    ]);
    expect(model.warnings).toEqual([]);
  });

  it('the committed examples/shop/deploy is what render makes today', async () => {
    for (const [file, content] of files) {
      expect(await readFile(path.join(SHOP, 'deploy', file), 'utf8'), file).toBe(content);
    }
  });
});

describe('outrig deploy certs', () => {
  it('makes a CA and a certificate per service and proxy that the CA verifies; a second run keeps them', async (ctx) => {
    const openssl = await exec('openssl', ['version']).then(
      () => true,
      () => false,
    );
    if (!openssl && process.env.CI) throw new Error('openssl is not installed');
    if (!openssl) ctx.skip();
    const out = path.join(tmp, 'certs');
    const first = await cli(['deploy', 'certs', '--out', out, '--json']);
    expect(first.code, first.err).toBe(0);
    const made = JSON.parse(first.out) as { files: { file: string; status: string }[] };
    const names = ['edge', 'haproxy-client', 'envoy-client', ...model.services.map((s) => s.name)];
    for (const name of names) {
      expect(made.files).toContainEqual({ file: `${name}.pem`, status: 'written' });
      const { stdout } = await exec('openssl', [
        'verify',
        '-CAfile',
        path.join(out, 'ca.pem'),
        path.join(out, `${name}.crt`),
      ]);
      expect(stdout).toContain(': OK');
    }
    const { stdout: text } = await exec('openssl', [
      'x509',
      '-in',
      path.join(out, 'inventory-service.crt'),
      '-noout',
      '-text',
    ]);
    expect(text).toMatch(/DNS:inventory-service, DNS:localhost, IP Address:127\.0\.0\.1/);
    expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    const second = await cli(['deploy', 'certs', '--out', out]);
    expect(second.out).toMatch(/^0 file\(s\) written, \d+ kept/m);
  });
});

describe('Kubernetes manifests', () => {
  const objects = () =>
    [...files]
      .filter(([f]) => f.startsWith('k8s/base/') && !f.endsWith('kustomization.yaml'))
      .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJSON() as Record<string, unknown>));

  it('every object is valid against the Kubernetes schemas and has no unknown field', async () => {
    const all = objects();
    expect(new Set(all.map((o) => o.kind))).toEqual(
      new Set([
        'Namespace',
        'NetworkPolicy',
        'ServiceAccount',
        'ConfigMap',
        'Deployment',
        'Service',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
      ]),
    );
    for (const o of all) expect(await checkK8sObject(o)).toEqual([]);
  });

  it('the checks catch a wrong type, a missing required field and a misspelt field', async () => {
    const deployment = objects().find((o) => o.kind === 'Deployment') as Record<string, any>;
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].imagee = broken.spec.template.spec.containers[0].image;
    broken.spec.template.spec.containers[0].ports[0].containerPort = '8004';
    delete broken.spec.selector;
    const problems = await checkK8sObject(broken);
    expect(problems).toContainEqual(expect.stringMatching(/containers\/0\/imagee: unknown field/));
    expect(problems).toContainEqual(expect.stringMatching(/containerPort: must be integer/));
    expect(problems).toContainEqual(expect.stringMatching(/spec: must have required property 'selector'/));
  });

  it('deployments: probes on the kit routes, preStop before the drain, restricted, secrets by reference', () => {
    for (const d of objects().filter((o) => o.kind === 'Deployment') as Record<string, any>[]) {
      const pod = d.spec.template.spec;
      const c = pod.containers[0];
      expect(c.startupProbe.httpGet.path).toBe('/health');
      expect(c.readinessProbe.httpGet.path).toBe('/ready');
      expect(c.livenessProbe.httpGet.path).toBe('/health');
      const preStop = Number(c.lifecycle.preStop.exec.command[1]);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + 10);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      expect(c.resources.requests).toBeDefined();
      expect(c.env).toBeUndefined();
      expect(JSON.stringify(objects())).not.toMatch(/password|PASSWORD=/);
    }
  });

  it('network policies let in only the gateway and declared callers', () => {
    const policies = objects().filter((o) => o.kind === 'NetworkPolicy') as Record<string, any>[];
    const inventory = policies.find((p) => p.metadata.name === 'inventory-service');
    const from = inventory?.spec.ingress[0].from.map((f: any) => f.podSelector.matchLabels);
    expect(from).toEqual([
      { 'app.kubernetes.io/name': 'gateway' },
      { 'app.kubernetes.io/component': 'edge' },
    ]);
    const auth = policies.find((p) => p.metadata.name === 'auth-service');
    expect(
      auth?.spec.ingress[0].from.map((f: any) => f.podSelector.matchLabels['app.kubernetes.io/name']),
    ).toEqual([
      'gateway',
      'inventory-service',
      'notification-service',
      'order-service',
      'payment-service',
      undefined,
    ]);
  });

  it('the kustomization lists every file of the base', () => {
    const k = parse(files.get('k8s/base/kustomization.yaml') as string) as { resources: string[] };
    const base = [...files.keys()].filter(
      (f) => f.startsWith('k8s/base/') && !f.endsWith('kustomization.yaml'),
    );
    expect(k.resources.map((r) => `k8s/base/${r}`).sort()).toEqual(base.sort());
  });
});

describe('compose', () => {
  const compose = () => parse(files.get('compose/compose.yaml') as string) as Record<string, any>;

  it('is valid against the compose-spec schema', () => {
    expect(checkCompose(compose())).toEqual([]);
    expect(checkCompose({ services: { a: { image: 'x', restartt: 'always' } } })).not.toEqual([]);
  });

  it('docker-compose config accepts it with the env file filled, and refuses it while a secret is empty', async () => {
    const available = await exec('docker-compose', ['version']).then(
      () => true,
      () => false,
    );
    if (!available && process.env.CI)
      throw new Error('docker-compose is not installed (scripts/test-servers.sh installs it)');
    if (!available) return;
    // The committed copy (equal to this render, see above), where the build context exists.
    const file = path.join(SHOP, 'deploy', 'compose', 'compose.yaml');
    const example = files.get('compose/.env.example') as string;
    const filled = path.join(tmp, 'filled.env');
    await writeFile(filled, example.replace(/=$/gm, '=not-a-real-secret'));
    await exec('docker-compose', ['--env-file', filled, '-f', file, 'config', '-q']);
    const empty = path.join(tmp, 'empty.env');
    await writeFile(empty, example);
    await expect(
      exec('docker-compose', ['--env-file', empty, '-f', file, 'config', '-q']),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/set [A-Z_]+ in \.env/),
    });
  });

  it('no secret inline; services start after healthy dependencies; prometheus scrapes every service', () => {
    const doc = compose();
    for (const [name, s] of Object.entries(doc.services) as [string, any][]) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|SECRET|CLIENTS|DATABASE_URL|BUS_URL/.test(key)) {
          expect(String(value), `${name}.${key}`).toMatch(/\$\{[A-Z_]+:\?/);
        }
      }
    }
    expect(doc.services['inventory-service'].depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      'auth-service': { condition: 'service_healthy' },
    });
    expect(Object.keys(doc.services.gateway.depends_on).sort()).toEqual([
      'auth-service',
      'inventory-service',
      'notification-service',
      'order-service',
      'payment-service',
    ]);
    const prometheus = parse(files.get('compose/prometheus/prometheus.yml') as string) as Record<string, any>;
    expect(prometheus.scrape_configs.map((j: any) => j.job_name).sort()).toEqual(
      model.services.map((s) => s.name).sort(),
    );
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    expect(files.get('compose/prometheus/alerts.yml')).toMatch(/OutboxEventsParked/);
  });
});

describe('Prometheus configuration of the compose project', () => {
  it('promtool check config accepts it, with the shipped alert rules it loads', async () => {
    const available = await exec('promtool', ['--version']).then(
      () => true,
      () => false,
    );
    if (!available && process.env.CI)
      throw new Error('promtool is not installed (scripts/test-servers.sh installs it)');
    if (!available) return;
    const dir = path.join(tmp, 'prometheus');
    await mkdir(dir, { recursive: true });
    const config = (files.get('compose/prometheus/prometheus.yml') as string).replace(
      '/etc/prometheus/alerts.yml',
      path.join(dir, 'alerts.yml'),
    );
    await writeFile(path.join(dir, 'prometheus.yml'), config);
    await writeFile(path.join(dir, 'alerts.yml'), files.get('compose/prometheus/alerts.yml') as string);
    const { stdout } = await exec('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    await writeFile(path.join(dir, 'prometheus.yml'), config.replace('scrape_interval', 'scrape_intervall'));
    await expect(exec('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')])).rejects.toThrow();
  });
});

describe('Dockerfiles', () => {
  it('parse, and follow the rules: multi-stage, non-root, exec form, HEALTHCHECK, production deps only', () => {
    for (const s of model.services) {
      const text = files.get(`docker/${s.name}.Dockerfile`) as string;
      expect(checkDockerfile(text, { workspaceDir: s.workspaceDir }), s.name).toEqual([]);
    }
  });

  it('the rules catch a root user, a shell-form CMD and a full install', () => {
    const s = model.services[0] as DeployModel['services'][number];
    const text = (files.get(`docker/${s.name}.Dockerfile`) as string)
      .replace('USER node', 'USER root')
      .replace(/^CMD \[.*\]$/m, 'CMD node src/main.ts')
      .replace('"--omit=dev",', '');
    expect(checkDockerfile(text, { workspaceDir: s.workspaceDir })).toEqual([
      'runtime stage runs as root',
      'CMD is in shell form (SIGTERM would go to /bin/sh)',
      'npm ci without --omit=dev (dev dependencies in the image)',
    ]);
    const shell = (files.get(`docker/${s.name}.Dockerfile`) as string).replace(
      /^CMD \[/m,
      'CMD ["sh", "-c", ',
    );
    expect(checkDockerfile(shell, { workspaceDir: s.workspaceDir })).toEqual(['CMD runs a shell']);
  });
});

describe('Envoy bootstrap', () => {
  it('decodes against the Envoy v3 protos (every field and enum value known)', () => {
    const bootstrap = parse(files.get('envoy/envoy.yaml') as string);
    expect(checkProtoJson(envoyProtos(), 'envoy.config.bootstrap.v3.Bootstrap', bootstrap)).toEqual([]);
  });

  it('the check catches a misspelt field, a wrong enum value and an unknown @type', () => {
    const bootstrap = parse(files.get('envoy/envoy.yaml') as string) as Record<string, any>;
    const cluster = bootstrap.static_resources.clusters[0];
    cluster.lb_policy = 'ROUND_ROBBIN';
    cluster.conect_timeout = '1s';
    cluster.transport_socket.typed_config['@type'] = 'type.googleapis.com/envoy.nope.v3.Tls';
    const problems = checkProtoJson(envoyProtos(), 'envoy.config.bootstrap.v3.Bootstrap', bootstrap);
    expect(problems).toEqual([
      '/static_resources/clusters/0/lb_policy: ROUND_ROBBIN is not a LbPolicy value',
      '/static_resources/clusters/0/transport_socket/typed_config: unknown @type envoy.nope.v3.Tls',
      '/static_resources/clusters/0/conect_timeout: no field conect_timeout in envoy.config.cluster.v3.Cluster',
    ]);
  });
});

describe('HAProxy configuration', () => {
  const haproxy = process.env.HAPROXY ?? 'haproxy';
  let available = true;
  beforeAll(async () => {
    available = await exec(haproxy, ['-v']).then(
      () => true,
      () => false,
    );
    if (!available && process.env.CI)
      throw new Error(`${haproxy} is not installed (scripts/test-servers.sh installs it)`);
  });

  it('haproxy -c accepts the rendered configuration with generated certificates', async (ctx) => {
    if (!available) ctx.skip();
    const certs = path.join(tmp, 'certs');
    await makeDevCerts({
      dir: certs,
      caName: 'test CA',
      names: certNames(model.services.map((s) => s.name)),
    });
    const cfg = path.join(tmp, 'haproxy.cfg');
    await writeFile(cfg, renderHaproxy(model, { certDir: certs }));
    const { stdout, stderr } = await exec(haproxy, ['-c', '-f', cfg]);
    expect(stdout).toMatch(/Configuration file is valid/);
    // Only the service names may be unresolvable here (they are DNS names in compose and Kubernetes).
    const warnings = stderr
      .split('\n')
      .filter((l) => l.includes('[WARNING]') && !/could not resolve address/.test(l));
    expect(warnings).toEqual([]);
    const bad = renderHaproxy(model, { certDir: certs }).replace('balance roundrobin', 'balance roundrobbin');
    await writeFile(cfg, bad);
    await expect(exec(haproxy, ['-c', '-f', cfg])).rejects.toMatchObject({
      stderr: expect.stringMatching(/balance only supports/),
    });
  });

  it('routes a versioned prefix at segment boundaries', () => {
    const cfg = files.get('haproxy/haproxy.cfg') as string;
    expect(cfg).toContain("acl route_2 path_reg '^/api(/v[0-9]+)?/products(/|$)'");
    const re = /^\/api(\/v[0-9]+)?\/products(\/|$)/;
    expect(['/api/v2/products', '/api/products/7', '/api/v1/products/'].map((p) => re.test(p))).toEqual([
      true,
      true,
      true,
    ]);
    expect(re.test('/api/v1/productsx')).toBe(false);
  });
});
