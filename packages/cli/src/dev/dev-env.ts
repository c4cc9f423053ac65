import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { System, SystemService } from '../system/system-file.ts';
import { envPrefix } from '../system/system-file.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The port a service listens on in this run: `<NAME>_PORT` from the environment, else outrig.json's. */
export function servicePort(service: SystemService, env: Env): number {
  const override = env[`${envPrefix(service.name)}_PORT`];
  const port = override === undefined || override === '' ? Number.NaN : Number(override);
  return Number.isInteger(port) && port >= 0 && port <= 65_535 ? port : service.port;
}

/**
 * Token wiring for a system with an `auth: true` service (the issuer): every service verifies
 * its tokens (`JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_JWKS_URL`), and every other service gets a
 * client id and secret for the client-credentials grant, generated per run and handed to the
 * issuer in `AUTH_CLIENTS`. Values set in the environment win.
 */
export function createAuthEnv(
  system: System,
  ports: ReadonlyMap<string, number>,
  env: Env,
): (service: SystemService) => Record<string, string> {
  const issuer = system.services.find((s) => s.auth);
  if (issuer === undefined) return () => ({});
  const authUrl = `http://127.0.0.1:${ports.get(issuer.name) ?? issuer.port}`;
  const secrets = new Map(
    system.services.filter((s) => !s.auth).map((s) => [s.name, randomBytes(24).toString('base64url')]),
  );
  return (service) => {
    const out: Record<string, string | undefined> = {
      JWT_ISSUER: env.JWT_ISSUER ?? authUrl,
      JWT_AUDIENCE: env.JWT_AUDIENCE ?? `outrig-${system.name}`,
    };
    if (service.auth) {
      out.AUTH_CLIENTS = env.AUTH_CLIENTS ?? [...secrets].map(([id, s]) => `${id}:${s}`).join(',');
    } else {
      out.JWT_JWKS_URL = env.JWT_JWKS_URL ?? `${authUrl}/.well-known/jwks.json`;
      out.AUTH_TOKEN_URL = env.AUTH_TOKEN_URL ?? `${authUrl}/api/v1/auth/token`;
      out.AUTH_CLIENT_ID = service.name;
      out.AUTH_CLIENT_SECRET = secrets.get(service.name);
    }
    return Object.fromEntries(Object.entries(out).filter((e): e is [string, string] => e[1] !== undefined));
  };
}

export interface ServiceEnvParts {
  readonly home: string;
  readonly port: number;
  readonly database: Readonly<Record<string, string>>;
  readonly auth: Readonly<Record<string, string>>;
  /** The service's database is the embedded server: its `embeddedEnv` applies. */
  readonly embedded: boolean;
  /** The system has a gateway in front of the services (they trust its X-Forwarded-For). */
  readonly behindGateway: boolean;
  /** Tracing defaults of this run (the dashboard's OTLP receiver); anything set elsewhere wins. */
  readonly telemetry?: Readonly<Record<string, string>>;
}

/**
 * The tracing variables that point a service at the dashboard's OTLP receiver, with a short
 * export delay so a trace shows up within a second; none when the environment already names an
 * OTLP endpoint (the user's collector wins).
 */
export function dashboardTelemetryEnv(otlpEndpoint: string, env: Env): Record<string, string> {
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return {};
  return { OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: '500' };
}

/**
 * A service's environment in `outrig dev`, lowest to highest precedence: the dashboard's tracing
 * defaults, outrig.json `env`
 * (and `embeddedEnv` on the embedded database, all or nothing), the process environment, the
 * database, auth and registry wiring, then `SERVICE_NAME`/`SERVICE_PORT`.
 */
export function serviceEnv(service: SystemService, env: Env, parts: ServiceEnvParts): Record<string, string> {
  const embeddedEnv = service.embeddedEnv;
  const useEmbeddedEnv = parts.embedded && Object.keys(embeddedEnv).every((k) => env[k] === undefined);
  const merged: Record<string, string | undefined> = {
    ...parts.telemetry,
    ...service.env,
    ...(useEmbeddedEnv ? embeddedEnv : {}),
    // Node's compile cache makes every restart after the first start faster.
    NODE_COMPILE_CACHE: path.join(parts.home, '.outrig', 'compile-cache'),
    ...env,
    ...parts.auth,
    // One OUTRIG_HOME for all: the local: registry under <home>/.outrig/registry is shared, so
    // the gateway and the service clients find every instance.
    OUTRIG_HOME: parts.home,
    ...(parts.behindGateway && service.kind !== 'gateway'
      ? { TRUST_PROXY: env.TRUST_PROXY ?? '127.0.0.1' }
      : {}),
    ...parts.database,
    SERVICE_NAME: service.name,
    SERVICE_PORT: String(parts.port),
  };
  return Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
}
