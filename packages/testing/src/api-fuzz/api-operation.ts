/** A JSON Schema as found in an OpenAPI document (after `$ref`s are resolved). */
export type JsonSchema = Record<string, unknown>;

/** One parameter of an operation (path or query). */
export interface ApiParameter {
  readonly name: string;
  readonly required: boolean;
  readonly schema: JsonSchema;
}

/** Who may call an operation, from its `security`: none, a token optional (`{}` listed), or required. */
export type ApiAuth = 'none' | 'optional' | 'required';

/** One operation of an OpenAPI document, with everything the fuzzer needs resolved. */
export interface ApiOperation {
  /** `GET /api/v2/products/{id}`. */
  readonly id: string;
  readonly method: string;
  /** The path template, `{name}` for parameters. */
  readonly path: string;
  readonly pathParams: readonly ApiParameter[];
  readonly queryParams: readonly ApiParameter[];
  /** The JSON request body, when the operation takes one. */
  readonly body: { readonly schema: JsonSchema; readonly required: boolean } | undefined;
  /** Documented statuses (`200`, `4XX`, `default`) → the JSON schema of the body, when declared. */
  readonly responses: Readonly<Record<string, JsonSchema | undefined>>;
  readonly auth: ApiAuth;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];

interface ParameterObject {
  name?: string;
  in?: string;
  required?: boolean;
  schema?: JsonSchema;
}

/**
 * The operations of an OpenAPI 3.0/3.1 document, with local `$ref`s inlined and `nullable`
 * (3.0) turned into `anyOf [..., null]`, so each schema stands alone.
 */
export function apiOperations(document: unknown): ApiOperation[] {
  const doc = document as {
    paths?: Record<string, Record<string, unknown>>;
    security?: unknown;
  };
  if (typeof doc !== 'object' || doc === null || typeof doc.paths !== 'object') return [];
  const resolve = (value: unknown) => inline(value, document, new Set());
  const operations: ApiOperation[] = [];
  for (const [path, rawItem] of Object.entries(doc.paths ?? {})) {
    const item = resolve(rawItem) as Record<string, unknown>;
    const shared = (item.parameters as ParameterObject[] | undefined) ?? [];
    for (const method of METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const params = [...shared, ...((op.parameters as ParameterObject[] | undefined) ?? [])];
      const parameter = (where: string) =>
        params
          .filter((p) => p.in === where && typeof p.name === 'string')
          .map((p) => ({
            name: p.name!,
            required: p.required === true || where === 'path',
            schema: p.schema ?? {},
          }));
      operations.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: parameter('path'),
        queryParams: parameter('query'),
        body: requestBody(op.requestBody),
        responses: responses(op.responses),
        auth: authOf(op.security ?? doc.security),
      });
    }
  }
  return operations;
}

function requestBody(body: unknown): ApiOperation['body'] {
  const b = body as { required?: boolean; content?: Record<string, { schema?: JsonSchema }> } | undefined;
  if (!b?.content) return undefined;
  const json = Object.entries(b.content).find(([type]) => type.includes('json'));
  const schema = (json ?? Object.entries(b.content)[0])?.[1]?.schema;
  return schema ? { schema, required: b.required === true } : undefined;
}

function responses(value: unknown): Record<string, JsonSchema | undefined> {
  const out: Record<string, JsonSchema | undefined> = {};
  for (const [status, response] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    const content = (response as { content?: Record<string, { schema?: JsonSchema }> }).content;
    const json = content && Object.entries(content).find(([type]) => type.includes('json'));
    out[status.toUpperCase()] = json?.[1]?.schema;
  }
  return out;
}

function authOf(security: unknown): ApiAuth {
  if (!Array.isArray(security) || security.length === 0) return 'none';
  return security.some((s) => typeof s === 'object' && s !== null && Object.keys(s).length === 0)
    ? 'optional'
    : 'required';
}

/** Inlines local `$ref`s (a cycle is left as `{}`), drops `$id`/`$schema`, rewrites `nullable`. */
function inline(value: unknown, root: unknown, seen: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => inline(v, root, seen));
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  if (typeof obj.$ref === 'string') {
    const ref = obj.$ref;
    if (!ref.startsWith('#/') || seen.has(ref)) return {};
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>(
        (node, key) =>
          (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')],
        root,
      );
    return inline(target ?? {}, root, new Set([...seen, ref]));
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(obj)) {
    if (key === '$id' || key === '$schema') continue;
    out[key] =
      key === 'properties' || key === 'patternProperties' ? inlineEach(v, root, seen) : inline(v, root, seen);
  }
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function inlineEach(value: unknown, root: unknown, seen: Set<string>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inline(v, root, seen)]));
}
