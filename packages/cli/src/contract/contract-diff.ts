/**
 * Breaking changes between a recorded API contract and the current one: OpenAPI 3.1 (routes,
 * parameters, request bodies, 2xx responses) and AsyncAPI 3.0 (events sent and received).
 *
 * What a client relies on decides the direction: what a service *accepts* (parameters, request
 * bodies, events it consumes) must not shrink — a new required field, a narrower type, a tighter
 * bound or a removed enum value breaks callers; what it *returns* (responses, events it
 * publishes) must not lose anything — a removed field, a field no longer always present, a wider
 * type or a new enum value breaks readers. Operations of a deprecated version (`deprecated:
 * true`, set by the kit for `service.version(n, …, { deprecated })`) may change freely.
 */

/** One breaking change: where, and what. */
export interface BreakingChange {
  /** `GET /api/v1/products/{id}` or `event product.created`. */
  readonly where: string;
  /** `response 200: removed field data.price`. */
  readonly change: string;
}

type Schema = Record<string, unknown>;
type Doc = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/** Breaking changes from the recorded OpenAPI document `before` to `after`. */
export function openApiBreakingChanges(before: Doc, after: Doc): BreakingChange[] {
  const out: BreakingChange[] = [];
  const paths = (before.paths ?? {}) as Record<string, Record<string, Schema>>;
  const nowPaths = (after.paths ?? {}) as Record<string, Record<string, Schema>>;
  const deprecatedNow = deprecatedVersions(nowPaths);
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (op.deprecated === true) continue;
      const now = nowPaths[path]?.[method];
      if (now === undefined) {
        // Removing a route of a version deprecated now is what deprecation announced.
        if (!deprecatedNow.has(versionOf(path) ?? '')) out.push({ where, change: 'route removed' });
        continue;
      }
      if (now.deprecated === true) continue;
      const push = (change: string) => out.push({ where, change });
      compareParameters(op, now, before, after, push);
      const body = jsonSchema(op.requestBody, before);
      const nowBody = jsonSchema(now.requestBody, after);
      if (body === undefined && nowBody !== undefined && (now.requestBody as Schema).required === true) {
        push('request body: now required');
      } else if (body !== undefined && nowBody !== undefined) {
        accepted(body, nowBody, 'request body', before, after, push);
      }
      const responses = (op.responses ?? {}) as Record<string, unknown>;
      const nowResponses = (now.responses ?? {}) as Record<string, unknown>;
      for (const [status, response] of Object.entries(responses)) {
        if (!/^2/.test(status)) continue;
        if (nowResponses[status] === undefined) {
          push(`response ${status}: removed`);
          continue;
        }
        const was = jsonSchema(response, before);
        const is = jsonSchema(nowResponses[status], after);
        if (was !== undefined && is !== undefined)
          returned(was, is, `response ${status}`, before, after, push);
      }
    }
  }
  return out;
}

/** `/api/v2/products` → `v2`. */
function versionOf(path: string): string | undefined {
  return /^\/api\/(v\d+)\//.exec(path)?.[1];
}

/** The API versions whose operations are marked deprecated. */
function deprecatedVersions(paths: Record<string, Record<string, Schema>>): Set<string> {
  const found = new Set<string>();
  for (const [path, item] of Object.entries(paths)) {
    const version = versionOf(path);
    if (version && METHODS.some((m) => item[m]?.deprecated === true)) found.add(version);
  }
  return found;
}

/** Breaking changes from the recorded AsyncAPI document `before` to `after`. */
export function asyncApiBreakingChanges(before: Doc, after: Doc): BreakingChange[] {
  const out: BreakingChange[] = [];
  const was = eventsByDirection(before);
  const is = eventsByDirection(after);
  for (const [type, payload] of was.send) {
    const where = `event ${type}`;
    const now = is.send.get(type);
    if (now === undefined) {
      out.push({ where, change: 'no longer published' });
      continue;
    }
    returned(payload, now, 'payload', before, after, (change) => out.push({ where, change }));
  }
  for (const [type, payload] of was.receive) {
    const now = is.receive.get(type);
    if (now === undefined) continue; // no longer consumed: nothing a producer relies on
    accepted(payload, now, 'payload', before, after, (change) =>
      out.push({ where: `event ${type}`, change }),
    );
  }
  return out;
}

/** Event type → payload schema, for the operations that send and those that receive. */
function eventsByDirection(doc: Doc): { send: Map<string, Schema>; receive: Map<string, Schema> } {
  const result = { send: new Map<string, Schema>(), receive: new Map<string, Schema>() };
  for (const op of Object.values((doc.operations ?? {}) as Record<string, Schema>)) {
    const action = op.action === 'send' ? 'send' : op.action === 'receive' ? 'receive' : undefined;
    if (action === undefined) continue;
    for (const ref of (op.messages ?? []) as Schema[]) {
      const message = deref(ref, doc) as Schema;
      const type = String(message.name ?? (ref.$ref as string | undefined)?.split('/').at(-1));
      const payload = deref(message.payload, doc);
      if (payload !== undefined) result[action].set(type, payload as Schema);
    }
  }
  return result;
}

function compareParameters(
  op: Schema,
  now: Schema,
  before: Doc,
  after: Doc,
  push: (change: string) => void,
): void {
  const key = (p: Schema) => `${p.in} ${p.name}`;
  const list = (o: Schema, doc: Doc) =>
    ((o.parameters ?? []) as Schema[]).map((p) => deref(p, doc) as Schema);
  const was = new Map(list(op, before).map((p) => [key(p), p]));
  for (const p of list(now, after)) {
    const old = was.get(key(p));
    if (old === undefined || (old.required !== true && p.required === true)) {
      if (p.required === true) push(`new required parameter ${key(p)}`);
      continue;
    }
    const a = deref(old.schema, before);
    const b = deref(p.schema, after);
    if (a && b) accepted(a as Schema, b as Schema, `parameter ${key(p)}`, before, after, push);
  }
}

/** The JSON schema of a request body or response object (`content['application/json'].schema`). */
function jsonSchema(holder: unknown, doc: Doc): Schema | undefined {
  const resolved = deref(holder, doc) as Schema | undefined;
  const content = resolved?.content as Record<string, Schema> | undefined;
  if (content === undefined) return undefined;
  const media = content['application/json'] ?? Object.values(content)[0];
  return deref(media?.schema, doc) as Schema | undefined;
}

/** Where in a schema: `response 200` and the field path below it (`data.price`). */
interface Place {
  readonly label: string;
  readonly path: string;
}

const place = (label: string): Place => ({ label, path: '' });
const field = (p: Place, name: string): Place => ({
  label: p.label,
  path: p.path ? `${p.path}.${name}` : name,
});
const itemsOf = (p: Place): Place => ({ label: p.label, path: `${p.path}[]` });
const describeAt = (p: Place) => (p.path ? `${p.label}, field ${p.path}` : p.label);

/** What a service accepts must not shrink. */
function accepted(
  a: Schema,
  b: Schema,
  where: Place | string,
  docA: Doc,
  docB: Doc,
  push: (change: string) => void,
  depth = 0,
): void {
  if (depth > 32) return;
  const here = typeof where === 'string' ? place(where) : where;
  const at = describeAt(here);
  const ta = typesOf(a, docA);
  const tb = typesOf(b, docB);
  if (!subset(ta, tb)) push(`${at}: type narrowed from ${show(ta)} to ${show(tb)}`);
  const va = valuesOf(a, docA);
  const vb = valuesOf(b, docB);
  if (vb !== undefined && (va === undefined || va.some((v) => !vb.includes(v)))) {
    push(`${at}: allowed values narrowed to ${JSON.stringify(vb)}`);
  }
  for (const [bound, tighter] of BOUNDS) {
    const x = a[bound] as number | undefined;
    const y = b[bound] as number | undefined;
    if (y !== undefined && (x === undefined || tighter(x, y))) push(`${at}: ${bound} tightened to ${y}`);
  }
  if (b.pattern !== undefined && a.pattern !== b.pattern) push(`${at}: pattern now ${String(b.pattern)}`);
  if (b.format !== undefined && a.format !== b.format) push(`${at}: format now ${String(b.format)}`);
  const pa = properties(a, docA);
  const pb = properties(b, docB);
  const requiredA = new Set((a.required ?? []) as string[]);
  for (const name of (b.required ?? []) as string[]) {
    if (!requiredA.has(name)) push(`${here.label}: new required field ${field(here, name).path}`);
  }
  for (const [name, schema] of Object.entries(pa)) {
    const next = pb[name];
    if (next === undefined) {
      if (b.additionalProperties === false) {
        push(`${here.label}: field ${field(here, name).path} no longer accepted`);
      }
      continue;
    }
    accepted(schema, next, field(here, name), docA, docB, push, depth + 1);
  }
  const ia = deref(a.items, docA) as Schema | undefined;
  const ib = deref(b.items, docB) as Schema | undefined;
  if (ia && ib) accepted(ia, ib, itemsOf(here), docA, docB, push, depth + 1);
}

/** What a service returns must not lose anything, nor take a shape readers do not expect. */
function returned(
  a: Schema,
  b: Schema,
  where: Place | string,
  docA: Doc,
  docB: Doc,
  push: (change: string) => void,
  depth = 0,
): void {
  if (depth > 32) return;
  const here = typeof where === 'string' ? place(where) : where;
  const at = describeAt(here);
  const ta = typesOf(a, docA);
  const tb = typesOf(b, docB);
  if (!subset(tb, ta)) push(`${at}: type widened from ${show(ta)} to ${show(tb)}`);
  const va = valuesOf(a, docA);
  const vb = valuesOf(b, docB);
  if (va !== undefined && (vb === undefined || vb.some((v) => !va.includes(v)))) {
    push(`${at}: values widened to ${vb === undefined ? 'any' : JSON.stringify(vb)}`);
  }
  const pa = properties(a, docA);
  const pb = properties(b, docB);
  const requiredB = new Set((b.required ?? []) as string[]);
  for (const name of (a.required ?? []) as string[]) {
    if (pb[name] !== undefined && !requiredB.has(name)) {
      push(`${here.label}: field ${field(here, name).path} no longer always present`);
    }
  }
  for (const [name, schema] of Object.entries(pa)) {
    const next = pb[name];
    if (next === undefined) {
      push(`${here.label}: removed field ${field(here, name).path}`);
      continue;
    }
    returned(schema, next, field(here, name), docA, docB, push, depth + 1);
  }
  const ia = deref(a.items, docA) as Schema | undefined;
  const ib = deref(b.items, docB) as Schema | undefined;
  if (ia && ib) returned(ia, ib, itemsOf(here), docA, docB, push, depth + 1);
}

const BOUNDS: ReadonlyArray<readonly [string, (was: number, now: number) => boolean]> = [
  ['minimum', (x, y) => y > x],
  ['exclusiveMinimum', (x, y) => y > x],
  ['minLength', (x, y) => y > x],
  ['minItems', (x, y) => y > x],
  ['maximum', (x, y) => y < x],
  ['exclusiveMaximum', (x, y) => y < x],
  ['maxLength', (x, y) => y < x],
  ['maxItems', (x, y) => y < x],
];

/** The values a schema allows when it lists them (`enum`, `const`, a union of those); else undefined. */
function valuesOf(schema: Schema, doc: Doc, depth = 0): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum as unknown[];
  if ('const' in schema) return [schema.const];
  const union = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (!Array.isArray(union) || depth > 16) return undefined;
  const all: unknown[] = [];
  for (const branch of union) {
    const values = valuesOf(deref(branch, doc) as Schema, doc, depth + 1);
    if (values === undefined) return undefined;
    all.push(...values);
  }
  return all;
}

const ANY = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/** The JSON types a schema admits (unions included; no `type`: any). */
function typesOf(schema: Schema, doc: Doc, depth = 0): Set<string> {
  if (depth > 16) return ANY;
  const union = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(union)) {
    const all = new Set<string>();
    for (const branch of union)
      for (const t of typesOf(deref(branch, doc) as Schema, doc, depth + 1)) all.add(t);
    return all;
  }
  if (typeof schema.type === 'string') return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(schema.type as string[]);
  if (schema.const !== undefined) return new Set([schema.const === null ? 'null' : typeof schema.const]);
  if (schema.properties !== undefined) return new Set(['object']);
  return ANY;
}

/** Every type of `a` admitted by `b` (`integer` is a `number`). */
function subset(a: Set<string>, b: Set<string>): boolean {
  for (const t of a) if (!b.has(t) && !(t === 'integer' && b.has('number'))) return false;
  return true;
}

function properties(schema: Schema, doc: Doc): Record<string, Schema> {
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, deref(v, doc) as Schema]));
}

/** Resolves a local `$ref` (`#/components/schemas/X`); anything else as it is. */
function deref(value: unknown, doc: Doc, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  const ref = (value as Schema).$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/') || depth > 16) return value;
  let target: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    target = (target as Record<string, unknown> | undefined)?.[key];
  }
  return deref(target, doc, depth + 1);
}

function show(types: Set<string>): string {
  return types === ANY ? 'any' : [...types].sort().join('|');
}
