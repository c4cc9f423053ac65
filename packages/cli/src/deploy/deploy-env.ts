import { envPrefix } from '../system/system-file.ts';
import {
  type DeployModel,
  type DeployService,
  HEALTH_PORT,
  SHUTDOWN_TIMEOUT_MS,
  sqlName,
} from './deploy-model.ts';

/** Where a service runs: names of the other services resolve differently. */
export type Platform = 'compose' | 'k8s';

/**
 * A service's environment in a deployment: plain settings (compose `environment`, a Kubernetes
 * ConfigMap) and secrets. A secret's value is an expression over variables of the env file in
 * compose (`${INVENTORY_SERVICE_DB_PASSWORD:?…}`); in Kubernetes only its name is used (the key
 * of the service's Secret).
 */
export interface DeployEnv {
  readonly config: Record<string, string>;
  readonly secrets: Record<string, string>;
}

/** Variables of the compose env file, each with what it is for (`.env.example`). */
export function envFileVariables(model: DeployModel): [string, string][] {
  const out: [string, string][] = [['POSTGRES_PASSWORD', 'the PostgreSQL superuser (creates the databases)']];
  if (model.transport === 'postgres' && model.services.some((s) => s.database)) {
    out.push(['BUS_DB_PASSWORD', 'role outrig_bus, owner of the event bus database']);
  }
  const issuer = model.services.find((s) => s.auth);
  for (const s of model.services) {
    if (s.database)
      out.push([`${envPrefix(s.name)}_DB_PASSWORD`, `role ${sqlName(s.name)}, owner of its database`]);
    if (issuer && !s.auth) {
      out.push([`${envPrefix(s.name)}_CLIENT_SECRET`, `${s.name}'s client secret at ${issuer.name}`]);
    }
  }
  return out;
}

/** `${NAME:?set NAME in .env}`: compose refuses to start while it is unset or empty. */
export function required(name: string): string {
  return `\${${name}:?set ${name} in .env}`;
}

/**
 * The environment of `service` on `platform`, following what `outrig dev` gives it: its own
 * database, the bus, the registry, token wiring from the auth issuer, tracing, and the kit's
 * listener settings. outrig.json `env` is kept; `embeddedEnv` (development only) is not.
 */
export function deployEnv(model: DeployModel, service: DeployService, platform: Platform): DeployEnv {
  const host = (name: string) =>
    platform === 'compose' ? name : `${name}.${model.namespace}.svc.cluster.local`;
  const others = model.services.filter((s) => s.kind !== 'gateway');
  const config: Record<string, string> = {
    ...service.env,
    SERVICE_NAME: service.name,
    SERVICE_HOST: '0.0.0.0',
    SERVICE_PORT: String(service.port),
    HEALTH_PORT: String(HEALTH_PORT),
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    LOG_LEVEL: 'info',
    REGISTRY_URL:
      platform === 'compose'
        ? `static:${others.map((s) => `${s.name}=http://${s.name}:${s.port}`).join(';')}`
        : `dns:{name}.${model.namespace}.svc.cluster.local?srv=_http._tcp`,
    OTEL_EXPORTER_OTLP_ENDPOINT:
      platform === 'compose' ? 'http://jaeger:4318' : `http://${host('otel-collector')}:4318`,
  };
  if (service.kind !== 'gateway') config.TRUST_PROXY = '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16';
  const secrets: Record<string, string> = {};
  const prefix = envPrefix(service.name);
  if (service.database) {
    secrets.DATABASE_URL = `postgres://${sqlName(service.name)}:${required(`${prefix}_DB_PASSWORD`)}@postgres:5432/${sqlName(`${model.system}_${service.name}`)}`;
    if (model.transport === 'postgres') {
      secrets.BUS_URL = `postgres://outrig_bus:${required('BUS_DB_PASSWORD')}@postgres:5432/${sqlName(model.system)}_bus`;
    }
  }
  if (model.transport === 'nats') config.BUS_URL = `nats://${host('nats')}:4222`;
  const issuer = model.services.find((s) => s.auth);
  if (issuer) {
    const authUrl = `http://${host(issuer.name)}:${issuer.port}`;
    config.JWT_ISSUER = authUrl;
    config.JWT_AUDIENCE = `outrig-${model.system}`;
    if (service.auth) {
      const clients = model.services.filter((s) => !s.auth);
      secrets.AUTH_CLIENTS = clients
        .map((s) => `${s.name}:${required(`${envPrefix(s.name)}_CLIENT_SECRET`)}`)
        .join(',');
    } else {
      config.JWT_JWKS_URL = `${authUrl}/.well-known/jwks.json`;
      config.AUTH_TOKEN_URL = `${authUrl}/api/v1/auth/token`;
      config.AUTH_CLIENT_ID = service.name;
      secrets.AUTH_CLIENT_SECRET = required(`${prefix}_CLIENT_SECRET`);
    }
  }
  return { config: sorted(config), secrets: sorted(secrets) };
}

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
