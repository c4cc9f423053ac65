import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreErrors } from '../src/index.ts';
import { exampleService } from './helpers.ts';

const { service } = exampleService({ BODY_LIMIT_BYTES: '1024', SERVICE_PORT: '0', LOG_LEVEL: 'silent' });
class DriverError extends Error {
  code = 'XX001';
}
service.mapErrors((err) =>
  err instanceof DriverError ? CoreErrors.NOT_READY({ message: 'driver down', cause: err }) : undefined,
);
service.version(3, (api) => {
  api.get('/driver', async () => {
    throw new DriverError('connection lost');
  });
  api.get('/unknown', async () => {
    throw new Error('something else');
  });
});
let url: URL;
beforeAll(async () => {
  url = new URL(await service.start({ signals: false }));
});
afterAll(() => service.stop());

/** Sends `raw` on a fresh socket and resolves with everything the server answers. */
function rawRequest(raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(raw);
  });
}

const envelope = expect.objectContaining({
  error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
});

describe('errors Fastify raises before a route runs are in the envelope', () => {
  it('a percent-encoding that does not decode: 400 MALFORMED_URL, with the request id and security headers', async () => {
    for (const path of ['/api/v2/items/%E0%A4%A', '/api/v2/items/%', '/api/v1/items/%zz']) {
      const res = await service.app.inject({ url: path, headers: { 'x-request-id': 'bad-url-1' } });
      expect(res.statusCode, path).toBe(400);
      expect(res.json()).toEqual({ error: { code: 'MALFORMED_URL', message: expect.any(String) } });
      expect(res.headers['x-request-id']).toBe('bad-url-1');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('a path parameter longer than the router allows: 400 PATH_PARAM_TOO_LONG', async () => {
    const res = await service.app.inject({ url: `/api/v2/items/${'x'.repeat(500)}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('PATH_PARAM_TOO_LONG');
    // A trailing slash is not an over-long parameter: answered as before.
    const slash = await service.app.inject({ url: '/api/v2/items/1/' });
    expect(slash.json().error.code).not.toBe('PATH_PARAM_TOO_LONG');
    const deleted = await service.app.inject({ method: 'DELETE', url: `/api/v1/items/${'x'.repeat(500)}` });
    expect([deleted.statusCode, deleted.json().error.code]).toEqual([400, 'PATH_PARAM_TOO_LONG']);
  });

  it('bad JSON, an unsupported content type, a body too large', async () => {
    const bad = await service.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'MALFORMED_JSON']);
    const type = await service.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { 'content-type': 'text/xml' },
      payload: '<a/>',
    });
    expect([type.statusCode, type.json().error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const odd = await service.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { 'content-type': ';;;' },
      payload: '{}',
    });
    expect(odd.statusCode).toBeGreaterThanOrEqual(400);
    expect(odd.statusCode).toBeLessThan(500);
    expect(odd.json()).toEqual(envelope);
    const large = await service.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: { name: 'x'.repeat(2000), qty: 1 },
    });
    expect([large.statusCode, large.json().error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('a request the HTTP parser rejects (over a real socket): 400 MALFORMED_REQUEST, then the connection closes', async () => {
    const answer = await rawRequest('GET /api/v2/items/1 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(body).toEqual({ error: { code: 'MALFORMED_REQUEST', message: expect.any(String) } });
  });

  it('headers over the limit (over a real socket): 431 HEADERS_TOO_LARGE', async () => {
    const answer = await rawRequest(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.code).toBe('HEADERS_TOO_LARGE');
  });

  it('a bad URL over a real socket too', async () => {
    const res = await fetch(new URL('/api/v2/items/%E0%A4%A', url));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'MALFORMED_URL', message: expect.any(String) } });
  });
});

describe('error mappers and Retry-After', () => {
  it('a registered mapper turns a library error into its coded error; a retryable 503 carries Retry-After', async () => {
    const res = await service.app.inject({ url: '/api/v3/driver' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: { code: 'NOT_READY', message: 'driver down' } });
    expect(res.headers['retry-after']).toBe('1');
  });

  it('errors no mapper claims stay 500 INTERNAL_ERROR, without Retry-After', async () => {
    const res = await service.app.inject({ url: '/api/v3/unknown' });
    expect([res.statusCode, res.json().error.code]).toEqual([500, 'INTERNAL_ERROR']);
    expect(res.headers['retry-after']).toBeUndefined();
  });
});

describe('the OpenAPI document lists the error statuses the kit can answer', () => {
  it('400/500/503 everywhere, 404 with path parameters, 413/415 with a body, 429 with rate limits', async () => {
    const doc = (await service.app.inject({ url: '/openapi.json' })).json();
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses).sort();
    expect(statuses('/api/v2/items/{id}', 'get')).toEqual(['200', '400', '404', '429', '500', '503']);
    expect(statuses('/api/v1/items', 'post')).toEqual(['400', '413', '415', '429', '500', '503']);
    const bad = doc.paths['/api/v2/items/{id}'].get.responses['400'];
    expect(bad.content['application/json'].schema.properties.error).toBeDefined();
  });

  it('a 400 with field details still serializes every detail through the documented schema', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: { name: 'a', qty: 0 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'body/name' })]),
    );
  });
});
