import path from 'node:path';
import { envPrefix } from '../system/system-file.ts';
import { deployEnv, envFileVariables, required } from './deploy-env.ts';
import { type DeployModel, HEALTH_PORT, sqlName } from './deploy-model.ts';
import { toYaml } from './yaml-text.ts';

/** Images of the infrastructure in compose (pinned; bump them as you would any dependency). */
export const COMPOSE_IMAGES = {
  postgres: 'postgres:17-bookworm',
  nats: 'nats:2.10-alpine',
  jaeger: 'jaegertracing/all-in-one:1.62.0',
  prometheus: 'prom/prometheus:v2.55.1',
  grafana: 'grafana/grafana:11.3.0',
} as const;

/** Files of the compose target, relative to `<out>/compose/`. */
export type ComposeFiles = Record<string, string>;

/**
 * The whole system in one compose project: PostgreSQL with a database and role per service (and
 * the bus database), NATS JetStream when it is the transport, Jaeger (OTLP), Prometheus scraping
 * every service's health port with the shipped alert rules, Grafana with the shipped dashboards.
 * Services start once their dependencies are healthy; secrets come from `.env` (never inline).
 */
export function renderCompose(model: DeployModel, outDir: string): ComposeFiles {
  const composeDir = path.join(outDir, 'compose');
  const context = path.relative(composeDir, model.workspaceRoot) || '.';
  const stateful = model.services.filter((s) => s.database);
  const issuer = model.services.find((s) => s.auth);
  const services: Record<string, unknown> = {};
  if (stateful.length > 0) {
    services.postgres = {
      image: COMPOSE_IMAGES.postgres,
      environment: {
        POSTGRES_PASSWORD: required('POSTGRES_PASSWORD'),
        ...Object.fromEntries(
          envFileVariables(model)
            .filter(([name]) => name.endsWith('_DB_PASSWORD'))
            .map(([name]) => [name, required(name)]),
        ),
      },
      volumes: ['postgres-data:/var/lib/postgresql/data', './postgres:/docker-entrypoint-initdb.d:ro'],
      healthcheck: {
        test: ['CMD', 'pg_isready', '-U', 'postgres'],
        interval: '5s',
        timeout: '3s',
        retries: 20,
      },
    };
  }
  if (model.transport === 'nats') {
    services.nats = {
      image: COMPOSE_IMAGES.nats,
      command: ['-js', '-sd', '/data', '-m', '8222'],
      volumes: ['nats-data:/data'],
      healthcheck: {
        test: ['CMD', 'wget', '-q', '-O-', 'http://127.0.0.1:8222/healthz?js-enabled-only=true'],
        interval: '5s',
        timeout: '3s',
        retries: 20,
      },
    };
  }
  services.jaeger = { image: COMPOSE_IMAGES.jaeger, ports: ['127.0.0.1:16686:16686'] };
  for (const s of model.services) {
    const env = deployEnv(model, s, 'compose');
    const dependsOn: Record<string, { condition: string }> = {};
    if (s.database) dependsOn.postgres = { condition: 'service_healthy' };
    if (model.transport === 'nats') dependsOn.nats = { condition: 'service_healthy' };
    if (issuer && issuer !== s) dependsOn[issuer.name] = { condition: 'service_healthy' };
    if (s.kind === 'gateway') {
      for (const o of model.services) if (o !== s) dependsOn[o.name] = { condition: 'service_healthy' };
    }
    services[s.name] = {
      build: {
        context,
        dockerfile: `${path.relative(model.workspaceRoot, path.join(outDir, 'docker'))}/${s.name}.Dockerfile`,
      },
      image: `${model.system}/${s.name}:latest`,
      environment: { ...env.config, ...env.secrets },
      ...(s.kind === 'gateway' ? { ports: [`${s.port}:${s.port}`] } : { expose: [String(s.port)] }),
      ...(Object.keys(dependsOn).length > 0 ? { depends_on: dependsOn } : {}),
      // The kit drains within SHUTDOWN_TIMEOUT_MS (10 s) after SIGTERM; compose waits longer.
      stop_grace_period: '20s',
      read_only: true,
      tmpfs: ['/tmp'],
      security_opt: ['no-new-privileges:true'],
      cap_drop: ['ALL'],
      restart: 'unless-stopped',
    };
  }
  services.prometheus = {
    image: COMPOSE_IMAGES.prometheus,
    command: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus'],
    volumes: ['./prometheus:/etc/prometheus:ro', 'prometheus-data:/prometheus'],
    ports: ['127.0.0.1:9090:9090'],
  };
  services.grafana = {
    image: COMPOSE_IMAGES.grafana,
    environment: { GF_AUTH_ANONYMOUS_ENABLED: 'true', GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer' },
    volumes: [
      './grafana/provisioning:/etc/grafana/provisioning:ro',
      './grafana/dashboards:/var/lib/grafana/dashboards:ro',
    ],
    ports: ['127.0.0.1:3000:3000'],
    depends_on: ['prometheus'],
  };
  const volumes: Record<string, null> = { 'prometheus-data': null };
  if (stateful.length > 0) volumes['postgres-data'] = null;
  if (model.transport === 'nats') volumes['nats-data'] = null;
  const files: ComposeFiles = {
    'compose.yaml': header(model) + toYaml({ services, volumes: sortedKeys(volumes) }),
    '.env.example': renderEnvExample(model),
    'prometheus/prometheus.yml': renderPrometheus(model),
    'grafana/provisioning/datasources/prometheus.yaml': toYaml({
      apiVersion: 1,
      datasources: [
        {
          name: 'Prometheus',
          type: 'prometheus',
          access: 'proxy',
          url: 'http://prometheus:9090',
          isDefault: true,
        },
      ],
    }),
    'grafana/provisioning/dashboards/outrig.yaml': toYaml({
      apiVersion: 1,
      providers: [{ name: model.system, type: 'file', options: { path: '/var/lib/grafana/dashboards' } }],
    }),
  };
  if (stateful.length > 0) files['postgres/10-databases.sh'] = renderInitDatabases(model);
  return files;
}

function header(model: DeployModel): string {
  return `# ${model.system}: generated by \`outrig deploy render\`. Secrets come from .env (copy .env.example).
# Run from this folder: docker compose up --build
`;
}

function renderEnvExample(model: DeployModel): string {
  const lines = envFileVariables(model).map(([name, what]) => `# ${what}\n${name}=`);
  return `# Copy to .env and fill every value (compose refuses to start while one is empty).
# Never commit .env. Generate values with: openssl rand -base64 24
${lines.join('\n')}
`;
}

/** Runs once in the PostgreSQL container on an empty data volume: one role and database per service. */
function renderInitDatabases(model: DeployModel): string {
  const lines: string[] = [];
  const create = (role: string, passwordVar: string, db: string) =>
    lines.push(
      `psql -v ON_ERROR_STOP=1 --username postgres -v pw="$${passwordVar}" <<'SQL'`,
      `CREATE ROLE ${role} LOGIN PASSWORD :'pw';`,
      `CREATE DATABASE ${db} OWNER ${role};`,
      `REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`,
      'SQL',
    );
  for (const s of model.services.filter((x) => x.database)) {
    create(sqlName(s.name), `${envPrefix(s.name)}_DB_PASSWORD`, sqlName(`${model.system}_${s.name}`));
  }
  if (model.transport === 'postgres' && model.services.some((s) => s.database)) {
    create('outrig_bus', 'BUS_DB_PASSWORD', `${sqlName(model.system)}_bus`);
  }
  return `#!/bin/bash
# generated by \`outrig deploy render\`: a role and a database per service${model.transport === 'postgres' ? ', and the event bus' : ''}.
set -euo pipefail
${lines.join('\n')}
`;
}

/** Scrapes every service's health port (`/metrics`), loads the shipped alert rules if any. */
export function renderPrometheus(model: DeployModel): string {
  return `# generated by \`outrig deploy render\`
${toYaml({
  global: { scrape_interval: '15s', evaluation_interval: '15s' },
  ...(model.ops.alerts ? { rule_files: ['/etc/prometheus/alerts.yml'] } : {}),
  scrape_configs: model.services.map((s) => ({
    job_name: s.name,
    metrics_path: '/metrics',
    static_configs: [{ targets: [`${s.name}:${HEALTH_PORT}`], labels: { service: s.name } }],
  })),
})}`;
}

function sortedKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
