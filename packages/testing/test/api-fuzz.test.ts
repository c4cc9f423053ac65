import type { Service } from '@outrig/core';
import { afterEach, describe, expect, it } from 'vitest';
import { apiOperations, fuzzApi, toCurl } from '../src/api-fuzz/index.ts';
import { fuzzFixture } from './api-fuzz-fixture.ts';

const running: Service[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function start(broken: boolean): Promise<string> {
  const service = fuzzFixture({ broken });
  running.push(service);
  return service.start({ signals: false });
}

describe('fuzzApi against a real service', () => {
  it('finds nothing on a service that keeps its promises (every operation of its OpenAPI document)', async () => {
    const baseUrl = await start(false);
    const report = await fuzzApi({ baseUrl, seed: 7, runs: 80 });
    expect(report.failures).toEqual([]);
    expect(report.operations.map((o) => o.operation)).toEqual([
      'POST /api/v1/items',
      'GET /health',
      'GET /ready',
      'GET /api/versions',
      'GET /api/v1/items',
      'GET /api/v1/items/{id}',
    ]);
    expect(report.requests).toBe(6 * 80);
    expect(report.ok).toBe(true);
  });

  it('finds a 500, an undocumented status and a body off its schema, each as a minimal curl line', async () => {
    const baseUrl = await start(true);
    const report = await fuzzApi({ baseUrl, seed: 7, runs: 100 });
    const byOperation = Object.fromEntries(report.failures.map((f) => [f.operation, f]));
    expect(Object.keys(byOperation).sort()).toEqual([
      'GET /api/v1/items',
      'GET /api/v1/items/{id}',
      'POST /api/v1/items',
    ]);
    const post = byOperation['POST /api/v1/items']!;
    expect(post.problem).toBe('server error 500 INTERNAL_ERROR');
    // Shrunk: only the number that breaks it, no other mutation, no token, no extra header.
    expect(post.request.mutations).toHaveLength(1);
    expect(post.request.mutations[0]).toMatch(/^body = \{"qty":\d/);
    expect(post.curl).toMatch(
      /^curl -i --path-as-is -g -X POST 'http:\/\/127\.0\.0\.1:\d+\/api\/v1\/items' -H 'content-type: application\/json' --data-binary '\{"qty":[\d.e+]+\}'$/,
    );
    expect(byOperation['GET /api/v1/items/{id}']!.problem).toBe(
      'status 410 (GONE) is not documented for GET /api/v1/items/{id}',
    );
    expect(byOperation['GET /api/v1/items']!.problem).toMatch(
      /body does not match the documented schema: body\/data\/0\/qty must be >= 0/,
    );
  });

  it('is deterministic for a seed: the same failures, found by the same requests', async () => {
    const first = await fuzzApi({ baseUrl: await start(true), seed: 99, runs: 60 });
    const second = await fuzzApi({ baseUrl: await start(true), seed: 99, runs: 60 });
    const strip = (r: typeof first) =>
      r.failures.map((f) => ({ op: f.operation, problem: f.problem, request: f.request }));
    expect(strip(second)).toEqual(strip(first));
    expect(second.operations.map((o) => o.requests)).toEqual(first.operations.map((o) => o.requests));
  });
});

describe('apiOperations and toCurl', () => {
  it('resolves $refs and nullable, and reads auth from security', () => {
    const ops = apiOperations({
      openapi: '3.0.3',
      components: {
        schemas: { Item: { type: 'object', properties: { n: { type: 'integer', nullable: true } } } },
      },
      security: [{ bearer: [] }],
      paths: {
        '/items/{id}': {
          parameters: [{ name: 'id', in: 'path', schema: { type: 'string' } }],
          get: {
            security: [{}, { bearer: [] }],
            parameters: [{ name: 'q', in: 'query', schema: { type: 'string' } }],
            responses: {
              200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } },
            },
          },
          put: {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
            },
            responses: { '4xx': { description: 'errors' } },
          },
        },
      },
    });
    expect(ops.map((o) => [o.id, o.auth])).toEqual([
      ['GET /items/{id}', 'optional'],
      ['PUT /items/{id}', 'required'],
    ]);
    const [get, put] = ops;
    expect(get!.pathParams.map((p) => [p.name, p.required])).toEqual([['id', true]]);
    expect(get!.queryParams.map((p) => [p.name, p.required])).toEqual([['q', false]]);
    expect(get!.responses['200']).toEqual({
      type: 'object',
      properties: { n: { anyOf: [{ type: 'integer' }, { type: 'null' }] } },
    });
    expect(put!.body?.required).toBe(true);
    expect(Object.keys(put!.responses)).toEqual(['4XX']);
  });

  it('quotes for the shell and never prints the given token', () => {
    const line = toCurl(
      'http://h:1/base',
      {
        method: 'POST',
        path: '/x?a=%E0',
        headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json' },
        body: `{"name":"it's"}`,
        mutations: [],
        token: 'given',
      },
      's3cret',
    );
    expect(line).toBe(
      `curl -i --path-as-is -g -X POST 'http://h:1/base/x?a=%E0' -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' --data-binary '{"name":"it'\\''s"}'`,
    );
  });
});
