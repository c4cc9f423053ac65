import fc from 'fast-check';
import type { JsonSchema } from './api-operation.ts';

/** Strings that have broken parsers, databases and logs before (NUL, lone surrogates, RTL, …). */
export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202eevil',
  '\ufeff',
  '😀👍🏽',
  '𝕏𝕐ℤ',
  "' OR '1'='1' --",
  '"; DROP TABLE x; --',
  '../../../etc/passwd',
  '%00',
  '%E0%A4%A',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as is
  '${7*7}{{7*7}}',
  '<script>alert(1)</script>',
  '\r\nSet-Cookie: x=1',
  'null',
  'NaN',
  '-0',
  '1e999',
  '9'.repeat(400),
];

/** Numbers at the edges: around the int4/int8/safe-integer limits, huge, tiny, fractional. */
export const EDGE_NUMBERS: readonly number[] = [
  -1,
  0.5,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  -(2 ** 31) - 1,
  2 ** 53 + 1,
  -(2 ** 53) - 1,
  2 ** 63,
  1e308,
  -1e308,
  1e-308,
  Number.MAX_SAFE_INTEGER,
];

const types = (schema: JsonSchema): string[] => {
  const t = schema.type;
  if (Array.isArray(t)) return t as string[];
  if (typeof t === 'string') return [t];
  if (schema.properties) return ['object'];
  if (schema.items) return ['array'];
  return [];
};

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Values the schema accepts (best effort: `pattern`, `format` uuid/date-time/email/uri, bounds,
 * `enum`/`const`, `anyOf`/`oneOf`, nested objects and arrays). Unbounded strings and arrays are
 * kept short; a value that still fails the server's validation simply exercises its 400 path.
 */
export function validValue(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    return fc.oneof(
      ...alternatives.map((s) => validValue({ ...withoutKeys(schema, 'anyOf', 'oneOf'), ...s }, depth)),
    );
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    return validValue(
      Object.assign({}, withoutKeys(schema, 'allOf'), ...(schema.allOf as JsonSchema[])),
      depth,
    );
  }
  const ts = types(schema);
  if (ts.length > 1) return fc.oneof(...ts.map((t) => validValue({ ...schema, type: t }, depth)));
  switch (ts[0]) {
    case 'string':
      return validString(schema);
    case 'integer':
      return validNumber(schema, true);
    case 'number':
      return validNumber(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const items = (schema.items as JsonSchema | undefined) ?? {};
      const minLength = num(schema.minItems) ?? 0;
      const maxLength = Math.min(num(schema.maxItems) ?? minLength + 3, minLength + 3);
      return fc.array(validValue(items, depth + 1), { minLength, maxLength });
    }
    case 'object': {
      if (depth > 4) return fc.constant({});
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = ((schema.required as string[] | undefined) ?? []).filter((k) => k in props);
      const model = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, validValue(s, depth + 1)]));
      return fc.record(model, { requiredKeys: required });
    }
    default:
      return fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean());
  }
}

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = num(schema.minLength) ?? 0;
  const maxLength = num(schema.maxLength) ?? Math.max(minLength, 24);
  const fits = (s: string) => [...s].length >= minLength && [...s].length <= maxLength;
  switch (schema.format) {
    case 'uuid':
      return fc.uuid();
    case 'date-time':
      return fc
        .date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.emailAddress().filter((s) => fits(s));
    case 'uri':
    case 'url':
      return fc.webUrl().filter((s) => fits(s));
  }
  if (typeof schema.pattern === 'string') {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
    } catch {
      // An ECMAScript-incompatible pattern: fall back to plain strings.
    }
  }
  return fc.string({ minLength, maxLength: Math.min(maxLength, minLength + 24) });
}

function validNumber(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  let min = num(schema.minimum) ?? num(schema.exclusiveMinimum);
  let max = num(schema.maximum) ?? num(schema.exclusiveMaximum);
  if (num(schema.exclusiveMinimum) !== undefined && min !== undefined) min += integer ? 1 : Number.EPSILON;
  if (num(schema.exclusiveMaximum) !== undefined && max !== undefined) max -= integer ? 1 : Number.EPSILON;
  const not = (schema.not as JsonSchema | undefined)?.const;
  const allowed = (n: number) => n !== not;
  if (integer) {
    return fc
      .integer({
        min: Math.max(min ?? -1_000_000, Number.MIN_SAFE_INTEGER),
        max: Math.min(max ?? 1_000_000, Number.MAX_SAFE_INTEGER),
      })
      .filter(allowed);
  }
  return fc
    .double({ min: min ?? -1e6, max: max ?? 1e6, noNaN: true, noDefaultInfinity: true })
    .filter(allowed);
}

/** Any JSON value other than one of the schema's types (a string for an integer, an object for a string …). */
function wrongType(schema: JsonSchema): fc.Arbitrary<unknown> {
  const ts = new Set(types(schema));
  const candidates: [string, unknown][] = [
    ['string', 'x'],
    ['integer', 7],
    ['number', 1.25],
    ['boolean', true],
    ['null', null],
    ['object', { a: 1 }],
    ['array', [1, 'a']],
  ];
  const pool = candidates
    .filter(([t]) => !ts.has(t) && !(t === 'integer' && ts.has('number')))
    .map(([, v]) => v);
  return fc.constantFrom(...(pool.length > 0 ? pool : [{ unexpected: true }]));
}

/**
 * Values just outside the schema, or at its edges: a wrong type anywhere; numbers one past each
 * bound, at each bound, at the int4/int8/safe-integer limits, fractional; strings empty, huge
 * (`hugeLength`), odd ({@link ODD_STRINGS}), one past `maxLength`; an object missing a required
 * property, with an extra one, or with one property mutated (recursively).
 */
export function mutatedValue(
  schema: JsonSchema,
  options: { hugeLength: number },
  depth = 0,
): fc.Arbitrary<unknown> {
  const mutations: fc.WeightedArbitrary<unknown>[] = [{ arbitrary: wrongType(schema), weight: 1 }];
  const ts = types(schema);
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    for (const s of alternatives) mutations.push({ arbitrary: mutatedValue(s, options, depth), weight: 2 });
  }
  if (ts.includes('integer') || ts.includes('number')) {
    const bounds: number[] = [];
    for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
      const n = num(schema[key]);
      if (n !== undefined) bounds.push(n, n - 1, n + 1);
    }
    mutations.push({ arbitrary: fc.constantFrom(...EDGE_NUMBERS), weight: 6 });
    if (bounds.length > 0) mutations.push({ arbitrary: fc.constantFrom(...bounds), weight: 2 });
  }
  if (ts.includes('string')) {
    const max = num(schema.maxLength);
    mutations.push(
      { arbitrary: fc.constantFrom(...ODD_STRINGS), weight: 4 },
      { arbitrary: fc.constant('x'.repeat(options.hugeLength)), weight: 1 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 64 }), weight: 1 },
    );
    if (max !== undefined) mutations.push({ arbitrary: fc.constant('y'.repeat(max + 1)), weight: 1 });
  }
  if (ts.includes('array') && depth < 4) {
    const items = (schema.items as JsonSchema | undefined) ?? {};
    mutations.push({
      arbitrary: fc.array(mutatedValue(items, options, depth + 1), { minLength: 1, maxLength: 3 }),
      weight: 2,
    });
  }
  if (ts.includes('object') && depth < 4) mutations.push(...objectMutations(schema, options, depth));
  return fc.oneof(...mutations);
}

function objectMutations(
  schema: JsonSchema,
  options: { hugeLength: number },
  depth: number,
): fc.WeightedArbitrary<unknown>[] {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const names = Object.keys(props);
  const valid = validValue(schema, depth) as fc.Arbitrary<Record<string, unknown>>;
  const out: fc.WeightedArbitrary<unknown>[] = [
    { arbitrary: valid.map((v) => ({ ...v, unexpectedField: 'extra' })), weight: 1 },
    { arbitrary: fc.constant({}), weight: 1 },
  ];
  const required = ((schema.required as string[] | undefined) ?? []).filter((k) => k in props);
  if (required.length > 0) {
    const missing = fc.tuple(valid, fc.constantFrom(...required)).map(([v, key]) => {
      const { [key]: _dropped, ...rest } = v;
      return rest;
    });
    out.push({ arbitrary: missing, weight: 2 });
  }
  if (names.length > 0) {
    // One property mutated (any), the others valid: where most defects hide, so the most weight.
    const one = fc
      .constantFrom(...names)
      .chain((key) =>
        fc
          .tuple(valid, mutatedValue(props[key]!, options, depth + 1))
          .map(([v, bad]) => ({ ...v, [key]: bad })),
      );
    out.push({ arbitrary: one, weight: 4 + 3 * names.length });
  }
  return out;
}

function withoutKeys(schema: JsonSchema, ...keys: string[]): JsonSchema {
  const out = { ...schema };
  for (const k of keys) delete out[k];
  return out;
}
