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

/**
 * Valid `validWeight` times in `validWeight + 1`, mutated otherwise. Shrinks towards the valid
 * form (fast-check cross-shrink), so a minimal failing request has only the mutation that matters.
 */
function part<T>(
  valid: fc.Arbitrary<Part<T>>,
  mutated: fc.Arbitrary<Part<T>>,
  validWeight = 4,
): fc.Arbitrary<Part<T>> {
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: valid, weight: validWeight },
    { arbitrary: mutated, weight: 1 },
  );
}

const show = (value: unknown) => {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

const asText = (value: unknown) =>
  typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));

/** Huge strings in the URL stay under Node's 16 KiB header limit (beyond it, 431 for any route). */
const inUrl = (g: RequestGeneration) => ({ hugeLength: Math.min(g.hugeLength, 4096) });

function pathPart(op: ApiOperation, g: RequestGeneration): fc.Arbitrary<Part<string>> {
  if (op.pathParams.length === 0) return fc.constant({ value: op.path });
  const values = op.pathParams.map((p) =>
    part<string>(
      validValue(p.schema).map((v) => ({ value: encodeURIComponent(asText(v)) })),
      fc.oneof(
        mutatedValue(p.schema, inUrl(g)).map((v) => ({
          value: encodeURIComponent(asText(v)) || 'x',
          mutation: `path ${p.name} = ${show(v)}`,
        })),
        fc
          .constantFrom(...BAD_ENCODINGS)
          .map((raw) => ({ value: raw, mutation: `path ${p.name} = ${raw} (raw)` })),
      ),
    ),
  );
  return fc.tuple(...values).map((parts) => {
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
  });
}

function queryPart(op: ApiOperation, g: RequestGeneration): fc.Arbitrary<Part<string>> {
  if (op.queryParams.length === 0) {
    return part(
      fc.constant({ value: '' }),
      fc.constant({ value: '?unexpected=1&%E0%A4%A=%zz', mutation: 'query: unknown, bad encoding' }),
    );
  }
  const one = (p: ApiParameter) =>
    part<string | undefined>(
      (p.required ? validValue(p.schema) : fc.option(validValue(p.schema), { nil: undefined })).map((v) => ({
        value: v === undefined ? undefined : `${encodeURIComponent(p.name)}=${encodeURIComponent(asText(v))}`,
      })),
      fc.oneof(
        mutatedValue(p.schema, inUrl(g)).map((v) => ({
          value: `${encodeURIComponent(p.name)}=${encodeURIComponent(asText(v))}`,
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
  return fc.tuple(...op.queryParams.map(one)).map((parts) => {
    const pairs = parts.map((p) => p.value).filter((v): v is string => v !== undefined);
    return {
      value: pairs.length > 0 ? `?${pairs.join('&')}` : '',
      mutation:
        parts
          .map((p) => p.mutation)
          .filter(Boolean)
          .join('; ') || undefined,
    };
  });
}

interface BodyValue {
  readonly text: string | undefined;
  readonly contentType: string | undefined;
}

function bodyPart(op: ApiOperation, g: RequestGeneration): fc.Arbitrary<Part<BodyValue>> {
  if (!op.body) return fc.constant({ value: { text: undefined, contentType: undefined } });
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
        weight: 4,
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
    // The body is where most input goes: mutated one time in two.
    1,
  );
}

function tokenPart(op: ApiOperation, g: RequestGeneration): fc.Arbitrary<TokenVariant> {
  const plain: TokenVariant[] = g.token === undefined ? ['none'] : ['given', 'none'];
  if (op.auth === 'none') return fc.constantFrom(...plain);
  const forged: TokenVariant[] = ['malformed', 'wrong-scheme', 'alg-none', 'forged-signature', 'hs256'];
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constantFrom(...plain), weight: 3 },
    { arbitrary: fc.constantFrom(...forged), weight: 1 },
  );
}

function headerPart(): fc.Arbitrary<Part<Record<string, string>>> {
  return part(
    fc.constant({ value: {} }),
    fc.constantFrom(...BAD_HEADERS).map((h) => ({ value: h, mutation: `header ${Object.keys(h)[0]}` })),
  );
}

/**
 * Requests for one operation: valid ones, and ones with a part mutated (path parameters,
 * query, body, content type, headers, token). Each part is valid four times in five, so a
 * failing request shrinks towards the one mutation that matters.
 */
export function requestArbitrary(op: ApiOperation, g: RequestGeneration): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      path: pathPart(op, g),
      query: queryPart(op, g),
      body: bodyPart(op, g),
      headers: headerPart(),
      token: tokenPart(op, g),
    })
    .map(({ path, query, body, headers, token }) => {
      const all: Record<string, string> = { ...headers.value };
      const authorization = authorizationFor(token, g.token);
      if (authorization !== undefined) all.authorization = authorization;
      if (body.value.contentType !== undefined) all['content-type'] = body.value.contentType;
      const mutations = [path.mutation, query.mutation, body.mutation, headers.mutation].filter(
        (m): m is string => m !== undefined,
      );
      if (token !== 'none' && token !== 'given') mutations.push(`token: ${token}`);
      return {
        method: op.method,
        path: `${path.value}${query.value}`,
        headers: all,
        body: body.value.text,
        mutations,
        token,
      };
    });
}
