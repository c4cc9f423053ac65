import fc from 'fast-check';
import type { ApiOperation, ApiParameter } from './api-operation.ts';
import { authorizationFor } from './forged-tokens.ts';
import type { FuzzRequest, TokenVariant } from './fuzz-request.ts';
import { mutatedValue, validValue } from './schema-values.ts';

/** How requests are generated (see {@link requestArbitrary}). */
export interface RequestGeneration {
  /** The token to send (and to forge variants of); without one, requests go without or with forged ones. */
  readonly token?: string | undefined;
  /** Length of the "huge" strings. */
  readonly hugeLength: number;
  /** A body over this many bytes is among the mutations (the server's body limit + 1). */
  readonly hugeBodyBytes: number;
}

/** A part of a request: its value and, when it was mutated, what was done. */
interface Part<T> {
  readonly value: T;
  readonly mutation?: string | undefined;
}

/** Path segments that do not decode, or decode to something a router should not follow. */
const BAD_ENCODINGS = ['%E0%A4%A', '%', '%zz', '%C0%AF', '%00', '%2e%2e', '%2F', '..', '%FF%FE'];
const BAD_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/json; charset=utf-7',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  ';;;',
  'application/json, text/html',
];
const BAD_JSON = [
  '',
  '{',
  'null',
  '[]',
  '"text"',
  '{"a":1,}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
];
const BAD_HEADERS: Record<string, string>[] = [
  { 'api-version': 'abc' },
  { 'api-version': '999' },
  { 'accept-version': '-1' },
  { traceparent: 'not-a-traceparent' },
  { 'x-request-id': 'r'.repeat(2000) },
  { accept: 'application/xml' },
];

/** A part of a request as valid values and as mutated ones (`undefined`: nothing to mutate). */
interface Choices<T> {
  readonly valid: fc.Arbitrary<Part<T>>;
  readonly mutated: fc.Arbitrary<Part<T>> | undefined;
}

function part<T>(valid: fc.Arbitrary<Part<T>>, mutated?: fc.Arbitrary<Part<T>>): Choices<T> {
  return { valid, mutated };
}

const show = (value: unknown) => {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

/** encodeURIComponent, except that a lone surrogate is sent as UTF-8's replacement character instead of throwing. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));
  }
}

const asText = (value: unknown) =>
  typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));

/** Huge strings in the URL stay under Node's 16 KiB header limit (beyond it, 431 for any route). */
const inUrl = (g: RequestGeneration) => ({ hugeLength: Math.min(g.hugeLength, 4096) });

function pathPart(op: ApiOperation, g: RequestGeneration): Choices<string> {
  if (op.pathParams.length === 0) return part(fc.constant({ value: op.path }));
  const params = op.pathParams.map((p) =>
    part<string>(
      validValue(p.schema).map((v) => ({ value: encode(asText(v)) })),
      fc.oneof(
        mutatedValue(p.schema, inUrl(g)).map((v) => ({
          value: encode(asText(v)) || 'x',
          mutation: `path ${p.name} = ${show(v)}`,
        })),
        fc
          .constantFrom(...BAD_ENCODINGS)
          .map((raw) => ({ value: raw, mutation: `path ${p.name} = ${raw} (raw)` })),
      ),
    ),
  );
  const fill = (parts: Part<string>[]): Part<string> => {
    let path = op.path;
    op.pathParams.forEach((p, i) => {
      // An empty value would make it another path (another route); keep one character.
      path = path.replace(`{${p.name}}`, parts[i]!.value === '' ? 'x' : parts[i]!.value);
    });
    return {
      value: path,
      mutation:
        parts
          .map((p) => p.mutation)
          .filter(Boolean)
          .join('; ') || undefined,
    };
  };
  return part(fc.tuple(...params.map((c) => c.valid)).map(fill), oneMutated(params).map(fill));
}

/** The parts' valid values, except one (any) mutated. */
function oneMutated<T>(choices: readonly Choices<T>[]): fc.Arbitrary<Part<T>[]> {
  const mutable = choices.map((c, i) => [c, i] as const).filter(([c]) => c.mutated !== undefined);
  return fc.oneof(
    ...mutable.map(([, i]) => fc.tuple(...choices.map((c, j) => (j === i ? c.mutated! : c.valid)))),
  );
}

function queryPart(op: ApiOperation, g: RequestGeneration): Choices<string> {
  if (op.queryParams.length === 0) {
    return part<string>(
      fc.constant({ value: '' }),
      fc.constant({ value: '?unexpected=1&%E0%A4%A=%zz', mutation: 'query: unknown, bad encoding' }),
    );
  }
  const one = (p: ApiParameter) =>
    part<string | undefined>(
      (p.required ? validValue(p.schema) : fc.option(validValue(p.schema), { nil: undefined })).map((v) => ({
        value: v === undefined ? undefined : `${encodeURIComponent(p.name)}=${encode(asText(v))}`,
      })),
      fc.oneof(
        mutatedValue(p.schema, inUrl(g)).map((v) => ({
          value: `${encodeURIComponent(p.name)}=${encode(asText(v))}`,
          mutation: `query ${p.name} = ${show(v)}`,
        })),
        fc.constantFrom(...BAD_ENCODINGS).map((raw) => ({
          value: `${encodeURIComponent(p.name)}=${raw}`,
          mutation: `query ${p.name} = ${raw} (raw)`,
        })),
        fc.constant({
          value: p.required ? undefined : `${encodeURIComponent(p.name)}=`,
          mutation: `query ${p.name} missing or empty`,
        }),
      ),
    );
  const params = op.queryParams.map(one);
  const join = (parts: Part<string | undefined>[]): Part<string> => {
    const pairs = parts.map((p) => p.value).filter((v): v is string => v !== undefined);
    return {
      value: pairs.length > 0 ? `?${pairs.join('&')}` : '',
      mutation:
        parts
          .map((p) => p.mutation)
          .filter(Boolean)
          .join('; ') || undefined,
    };
  };
  return part(fc.tuple(...params.map((c) => c.valid)).map(join), oneMutated(params).map(join));
}

interface BodyValue {
  readonly text: string | undefined;
  readonly contentType: string | undefined;
}

function bodyPart(op: ApiOperation, g: RequestGeneration): Choices<BodyValue> {
  if (!op.body) return part(fc.constant({ value: { text: undefined, contentType: undefined } }));
  const json = (text: string) => ({ text, contentType: 'application/json' });
  const schema = op.body.schema;
  return part<BodyValue>(
    validValue(schema).map((v) => ({ value: json(JSON.stringify(v)) })),
    fc.oneof(
      {
        arbitrary: mutatedValue(schema, g).map((v) => ({
          value: json(JSON.stringify(v) ?? 'null'),
          mutation: `body = ${show(v)}`,
        })),
        weight: 6,
      },
      fc
        .constantFrom(...BAD_JSON)
        .map((text) => ({ value: json(text), mutation: `body = ${show(text)} (raw)` })),
      fc.tuple(validValue(schema), fc.constantFrom(...BAD_CONTENT_TYPES, undefined)).map(([v, type]) => ({
        value: { text: JSON.stringify(v), contentType: type },
        mutation: `content-type = ${type ?? '(none)'}`,
      })),
      fc.constant({
        value: json(JSON.stringify({ padding: 'x'.repeat(g.hugeBodyBytes) })),
        mutation: `body of ${g.hugeBodyBytes} bytes`,
      }),
    ),
  );
}

function tokenPart(op: ApiOperation, g: RequestGeneration): Choices<TokenVariant> {
  // With a token, most requests carry it (writes need one to get past 401), some go without.
  const valid: fc.Arbitrary<Part<TokenVariant>> =
    g.token === undefined
      ? fc.constant({ value: 'none' })
      : fc.oneof(
          { arbitrary: fc.constant({ value: 'given' as const }), weight: 3 },
          fc.constant({ value: 'none' as const }),
        );
  if (op.auth === 'none') return part(valid);
  const forged: TokenVariant[] = ['malformed', 'wrong-scheme', 'alg-none', 'forged-signature', 'hs256'];
  return part(
    valid,
    fc.constantFrom(...forged).map((t) => ({ value: t, mutation: `token: ${t}` })),
  );
}

function headerPart(): Choices<Record<string, string>> {
  return part(
    fc.constant({ value: {} }),
    fc.constantFrom(...BAD_HEADERS).map((h) => ({ value: h, mutation: `header ${Object.keys(h)[0]}` })),
  );
}

/**
 * Requests for one operation: valid ones (one in four or so), and ones with exactly one thing
 * mutated — a path parameter, a query parameter, the body (one property, recursively, or its
 * JSON, content type or size), a header, or the token — everything else valid, so that what
 * broke is plain. A failing request shrinks towards the valid one (fast-check cross-shrink).
 */
export function requestArbitrary(op: ApiOperation, g: RequestGeneration): fc.Arbitrary<FuzzRequest> {
  const parts = {
    path: pathPart(op, g),
    query: queryPart(op, g),
    body: bodyPart(op, g),
    headers: headerPart(),
    token: tokenPart(op, g),
  };
  type Key = keyof typeof parts;
  const keys = Object.keys(parts) as Key[];
  const record = (mutate?: Key) =>
    fc.record({
      path: mutate === 'path' ? parts.path.mutated! : parts.path.valid,
      query: mutate === 'query' ? parts.query.mutated! : parts.query.valid,
      body: mutate === 'body' ? parts.body.mutated! : parts.body.valid,
      headers: mutate === 'headers' ? parts.headers.mutated! : parts.headers.valid,
      token: mutate === 'token' ? parts.token.mutated! : parts.token.valid,
    });
  // The body is where most input goes: it gets the most mutated requests.
  const weight: Record<Key, number> = { path: 2, query: 1, body: 5, headers: 1, token: 1 };
  const alternatives = [
    { arbitrary: record(), weight: 2 },
    ...keys
      .filter((k) => parts[k].mutated !== undefined)
      .map((k) => ({ arbitrary: record(k), weight: weight[k] })),
  ];
  return fc.oneof({ withCrossShrink: true }, ...alternatives).map(({ path, query, body, headers, token }) => {
    const all: Record<string, string> = { ...headers.value };
    const authorization = authorizationFor(token.value, g.token);
    if (authorization !== undefined) all.authorization = authorization;
    if (body.value.contentType !== undefined) all['content-type'] = body.value.contentType;
    const mutations = [path.mutation, query.mutation, body.mutation, headers.mutation, token.mutation].filter(
      (m): m is string => m !== undefined,
    );
    return {
      method: op.method,
      path: `${path.value}${query.value}`,
      headers: all,
      body: body.value.text,
      mutations,
      token: token.value,
    };
  });
}
