/** The parts of an OpenAPI 3.x document the merge reads. */
export interface OpenApiDocument {
  openapi?: string;
  info?: Record<string, unknown>;
  paths?: Record<string, unknown>;
  components?: Record<string, Record<string, unknown> | undefined>;
  tags?: { name: string }[];
  security?: Record<string, unknown>[];
  [key: string]: unknown;
}

/** One service's document and which of its paths the gateway routes to it. */
export interface MergeInput {
  service: string;
  document: OpenApiDocument;
  /** Whether `path` (a document path such as `/api/v2/products/{id}`) reaches this service. */
  owns: (path: string) => boolean;
}

export interface MergeOptions {
  title: string;
  version: string;
  description?: string;
  /** Services whose documents could not be fetched, with the reason (listed in `x-outrig-services`). */
  unavailable?: readonly { service: string; reason: string }[];
}

const COMPONENT_REF = /^#\/components\/([^/]+)\/(.+)$/;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Merges the OpenAPI documents of several services into one. Paths are kept as they are (each
 * service contributes only the paths the gateway routes to it, first input wins on a clash);
 * components with the same name and the same definition are shared, and those whose
 * definitions differ are renamed `<service>.<Name>` in every service that defines them, with
 * every `$ref` (and security requirement, for security schemes) rewritten to match. Tags are
 * merged by name. `x-outrig-services` lists the services merged and those that were unavailable.
 *
 * @example
 * const doc = mergeOpenApi(
 *   [{ service: 'inventory-service', document: inventoryDoc, owns: (p) => p.startsWith('/api/') }],
 *   { title: 'shop gateway', version: '1' },
 * );
 */
export function mergeOpenApi(inputs: readonly MergeInput[], options: MergeOptions): OpenApiDocument {
  const renames = planRenames(inputs);
  const paths: Record<string, unknown> = {};
  const components: Record<string, Record<string, unknown>> = {};
  const tags = new Map<string, { name: string }>();
  for (const input of inputs) {
    const rename = renames.get(input.service)!;
    const doc = input.document;
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      if (path in paths || !input.owns(path)) continue;
      paths[path] = rewrite(item, rename, doc.security);
    }
    for (const [section, entries] of Object.entries(doc.components ?? {})) {
      for (const [name, definition] of Object.entries(entries ?? {})) {
        const target = rename.get(`${section}/${name}`) ?? name;
        components[section] ??= {};
        components[section][target] ??= rewrite(definition, rename, undefined);
      }
    }
    for (const tag of doc.tags ?? []) if (!tags.has(tag.name)) tags.set(tag.name, tag);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: options.title,
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    paths,
    ...(Object.keys(components).length > 0 ? { components } : {}),
    ...(tags.size > 0 ? { tags: [...tags.values()] } : {}),
    'x-outrig-services': [
      ...inputs.map((i) => ({ service: i.service, status: 'merged' })),
      ...(options.unavailable ?? []).map((u) => ({
        service: u.service,
        status: 'unavailable',
        reason: u.reason,
      })),
    ],
  };
}

/** Per service: `section/Name` → new name, for components defined differently elsewhere. */
function planRenames(inputs: readonly MergeInput[]): Map<string, Map<string, string>> {
  const definitions = new Map<string, Map<string, string>>(); // section/Name → service → JSON
  for (const input of inputs) {
    for (const [section, entries] of Object.entries(input.document.components ?? {})) {
      for (const [name, definition] of Object.entries(entries ?? {})) {
        const key = `${section}/${name}`;
        const byService = definitions.get(key) ?? new Map<string, string>();
        byService.set(input.service, JSON.stringify(definition));
        definitions.set(key, byService);
      }
    }
  }
  const renames = new Map(inputs.map((i) => [i.service, new Map<string, string>()]));
  for (const [key, byService] of definitions) {
    if (new Set(byService.values()).size <= 1) continue;
    const name = key.slice(key.indexOf('/') + 1);
    for (const service of byService.keys()) renames.get(service)!.set(key, `${service}.${name}`);
  }
  return renames;
}

/**
 * A deep copy with component `$ref`s renamed. For a path item, operations without their own
 * `security` get the document's global one (it does not survive the merge otherwise), with
 * renamed security schemes.
 */
function rewrite(value: unknown, rename: Map<string, string>, globalSecurity: unknown): unknown {
  const copy = deepRewrite(value, rename);
  if (!Array.isArray(globalSecurity) || copy === null || typeof copy !== 'object') return copy;
  const item = copy as Record<string, Record<string, unknown> | undefined>;
  for (const method of HTTP_METHODS) {
    const op = item[method];
    if (op && op.security === undefined) op.security = globalSecurity.map((r) => renameSchemes(r, rename));
  }
  return copy;
}

function deepRewrite(value: unknown, rename: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => deepRewrite(v, rename));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string') {
      const m = COMPONENT_REF.exec(v);
      const renamed = m ? rename.get(`${m[1]}/${m[2]}`) : undefined;
      out[k] = renamed ? `#/components/${m![1]}/${renamed}` : v;
    } else if (k === 'security' && Array.isArray(v)) {
      out[k] = v.map((req) => renameSchemes(req, rename));
    } else {
      out[k] = deepRewrite(v, rename);
    }
  }
  return out;
}

/** A security requirement names schemes by key, not by `$ref`. */
function renameSchemes(requirement: unknown, rename: Map<string, string>): unknown {
  if (requirement === null || typeof requirement !== 'object') return requirement;
  return Object.fromEntries(
    Object.entries(requirement).map(([scheme, scopes]) => [
      rename.get(`securitySchemes/${scheme}`) ?? scheme,
      scopes,
    ]),
  );
}
