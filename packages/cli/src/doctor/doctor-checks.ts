import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ConfigProblem, type ConfigSchema, coreConfigSchema, loadConfig } from '@outrig/core';
import { isOutrigError } from '@outrig/core/errors';
import { embeddedPostgresPort } from '../dev/embedded-port.ts';
import { exists } from '../system/service-modules.ts';
import { envPrefix, SYSTEM_FILE, type System, type SystemService } from '../system/system-file.ts';
import { canConnect, portHolder } from './ports.ts';

/** One thing `outrig doctor` looked at. */
export interface Finding {
  /** `node`, `system`, `port`, `config`, `server`. */
  readonly check: string;
  /** `ok`; `warn` (works, but worth knowing); `error` (something is wrong: exit 1). */
  readonly status: 'ok' | 'warn' | 'error';
  readonly message: string;
  /** What to do about it (warn and error). */
  readonly fix?: string;
  readonly service?: string;
}

/** The Node version the system asks for (its package.json `engines.node`), else the CLI's. */
export async function checkNode(root: string | undefined, fallback: string): Promise<Finding> {
  let wanted = fallback;
  if (root !== undefined) {
    try {
      const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
      if (typeof pkg?.engines?.node === 'string') wanted = pkg.engines.node;
    } catch {}
  }
  const have = process.versions.node;
  const min = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(wanted);
  if (!min)
    return { check: 'node', status: 'ok', message: `node ${have} (engines.node ${wanted}: not checked)` };
  const need = [Number(min[1]), Number(min[2] ?? 0), Number(min[3] ?? 0)];
  const got = have.split('.').map(Number);
  let cmp = 0;
  for (let i = 0; i < 3 && cmp === 0; i++) cmp = Math.sign((got[i] ?? 0) - (need[i] ?? 0));
  return cmp >= 0
    ? { check: 'node', status: 'ok', message: `node ${have} (needs ${wanted})` }
    : {
        check: 'node',
        status: 'error',
        message: `node ${have} is too old: the system needs ${wanted} (TypeScript is run by Node's type stripping)`,
        fix: `install Node ${need.join('.')} or newer (nvm install ${need[0]}, or from nodejs.org), or run it through npx so the node devDependency is used`,
      };
}

/** The environment a service gets from `outrig dev`: outrig.json's defaults, the real env on top. */
export function serviceEnv(
  service: SystemService,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const port = env[`${envPrefix(service.name)}_PORT`] ?? String(service.port);
  return { SERVICE_NAME: service.name, ...service.env, ...env, SERVICE_PORT: port };
}

/**
 * Each port of the system: free, used by the system itself (the service's own process, the
 * system's embedded PostgreSQL), or held by another process (named when the OS tells us).
 */
export async function checkPorts(
  system: System,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Finding[]> {
  const wanted: { port: number; owner: string; dir: string; fix: string }[] = system.services.map((s) => {
    const variable = `${envPrefix(s.name)}_PORT`;
    return {
      port: Number(serviceEnv(s, env).SERVICE_PORT),
      owner: s.name,
      dir: s.dir,
      fix: `stop that process, or give ${s.name} another port (services.${s.name}.port in ${SYSTEM_FILE}, or ${variable})`,
    };
  });
  if (!env.DATABASE_URL) {
    const home = path.resolve(env.OUTRIG_HOME || system.root);
    const { port } = await embeddedPostgresPort(home, env, system.dev.postgresPort);
    const dataDir = path.join(home, '.outrig', 'postgres');
    wanted.push({
      port,
      owner: 'the embedded PostgreSQL',
      dir: dataDir,
      fix: `stop that process, or set dev.postgresPort in ${SYSTEM_FILE} (or OUTRIG_PG_PORT)`,
    });
  }
  const findings: Finding[] = [];
  for (const w of wanted) {
    const holder = await portHolder(w.port);
    if (holder === undefined) {
      findings.push({
        check: 'port',
        status: 'ok',
        message: `port ${w.port} (${w.owner}) is free`,
        service: w.owner,
      });
      continue;
    }
    const who = holder.pid === undefined ? 'another process' : `pid ${holder.pid} (${holder.command || '?'})`;
    const ours = holder.pid !== undefined && [holder.cwd, holder.command].some((t) => t?.includes(w.dir));
    findings.push(
      ours
        ? {
            check: 'port',
            status: 'ok',
            message: `port ${w.port}: ${w.owner} is running (${who})`,
            service: w.owner,
          }
        : {
            check: 'port',
            status: 'error',
            message: `port ${w.port} (${w.owner}) is in use by ${who}`,
            fix: w.fix,
            service: w.owner,
          },
    );
  }
  return findings;
}

/**
 * Validates a service's configuration as the kit does at start (`loadConfig` of the core keys
 * plus the `config` export of its config module, default `src/config.ts`), against the
 * environment `outrig dev` would give it — without starting it.
 */
export async function checkConfig(
  service: SystemService,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Finding[]> {
  const file = path.resolve(service.dir, service.config);
  let own: ConfigSchema = {};
  const findings: Finding[] = [];
  if (await exists(file)) {
    try {
      const mod = (await import(pathToFileURL(file).href)) as { config?: ConfigSchema };
      if (mod.config === undefined || typeof mod.config !== 'object')
        throw new Error('it has no `config` export');
      own = mod.config;
    } catch (err) {
      return [
        {
          check: 'config',
          status: 'error',
          message: `${service.name}: ${file} could not be loaded: ${(err as Error).message}`,
          fix: "export `config` (the service's config schema: the object given to createService({ config }))",
          service: service.name,
        },
      ];
    }
  } else {
    findings.push({
      check: 'config',
      status: 'warn',
      message: `${service.name}: no ${service.config}: only the core variables were checked`,
      fix: `export the service's config schema as \`config\` from ${service.config} (or name the module in services.${service.name}.config)`,
      service: service.name,
    });
  }
  try {
    loadConfig({ ...coreConfigSchema, ...own }, serviceEnv(service, env));
    findings.push({
      check: 'config',
      status: 'ok',
      message: `${service.name}: configuration is valid`,
      service: service.name,
    });
  } catch (err) {
    if (!isOutrigError(err, 'CONFIG_INVALID')) throw err;
    const problems = ((err.details as { problems?: ConfigProblem[] } | undefined)?.problems ??
      []) as ConfigProblem[];
    for (const p of problems) {
      findings.push({
        check: 'config',
        status: 'error',
        message:
          p.got === undefined
            ? `${service.name}: ${p.variable} is required (${p.expected})`
            : `${service.name}: ${p.variable}=${JSON.stringify(p.got)} is invalid: expected ${p.expected}`,
        fix: `set ${p.variable} in the environment, or in services.${service.name}.env of ${SYSTEM_FILE}`,
        service: service.name,
      });
    }
  }
  return findings;
}

/** Variables whose value names a server to reach. */
const SERVER_VARIABLES = /(^|_)(DATABASE_URL|BUS_URL|REGISTRY_URL|REDIS_URL|JWT_JWKS_URL)$/;
const DEFAULT_PORTS: Record<string, number> = {
  'postgres:': 5432,
  'postgresql:': 5432,
  'nats:': 4222,
  'redis:': 6379,
  'rediss:': 6380,
  'amqp:': 5672,
  'amqps:': 5671,
  'http:': 80,
  'https:': 443,
  'etcd:': 2379,
  'consul:': 8500,
};

/** TCP reachability of every server the services' environments name (each host:port once). */
export async function checkServers(
  system: System,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Finding[]> {
  const targets = new Map<
    string,
    { variable: string; url: string; host: string; port: number; services: string[] }
  >();
  for (const s of system.services) {
    for (const [variable, value] of Object.entries(serviceEnv(s, env))) {
      if (!SERVER_VARIABLES.test(variable) || !value) continue;
      // INVENTORY_SERVICE_DATABASE_URL is inventory-service's only.
      const owner = /^(.+)_DATABASE_URL$/.exec(variable)?.[1];
      if (owner !== undefined && owner !== envPrefix(s.name)) continue;
      for (const one of value.split(',')) {
        let url: URL;
        try {
          url = new URL(one.trim());
        } catch {
          continue; // a malformed URL is a config finding already
        }
        const port = Number(url.port) || DEFAULT_PORTS[url.protocol];
        if (!url.hostname || port === undefined) continue; // memory:, local:, dns: — nothing to reach
        const key = `${variable} ${url.hostname}:${port}`;
        const t = targets.get(key) ?? {
          variable,
          url: redact(one.trim()),
          host: url.hostname,
          port,
          services: [],
        };
        t.services.push(s.name);
        targets.set(key, t);
      }
    }
  }
  const findings: Finding[] = [];
  for (const t of targets.values()) {
    const error = await canConnect(t.host, t.port);
    const used = `${t.variable} of ${t.services.join(', ')}`;
    findings.push(
      error === undefined
        ? { check: 'server', status: 'ok', message: `${t.url} (${used}) is reachable` }
        : {
            check: 'server',
            status: 'error',
            message: `${t.url} (${used}) is unreachable: ${error}`,
            fix: `start that server, or correct ${t.variable} (in the environment or services.<name>.env of ${SYSTEM_FILE})`,
          },
    );
  }
  if (!env.DATABASE_URL && system.services.some((s) => s.database)) {
    findings.push({
      check: 'server',
      status: 'ok',
      message:
        'DATABASE_URL is unset: services without <SERVICE>_DATABASE_URL use the embedded PostgreSQL (outrig dev starts it)',
    });
  }
  return findings;
}

function redact(url: string): string {
  return url.replace(/\/\/([^/@:]*):([^/@]*)@/, '//$1:***@');
}
