import { afterAll, describe, expect, it } from 'vitest';
import { exampleService } from './helpers.ts';

const { service, logs } = exampleService({ BODY_LIMIT_BYTES: '1024' });
afterAll(() => service.app.close());

describe('response envelope', () => {
  it('wraps data with version, timestamp and request id', async () => {
    const res = await service.app.inject({ url: '/api/v2/items/7', headers: { 'x-request-id': 'req-123' } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.data).toEqual({ id: '7', name: 'v2' });
    expect(body.metadata.version).toBe('v2');
    expect(body.metadata.requestId).toBe('req-123');
    expect(new Date(body.metadata.timestamp).toString()).not.toBe('Invalid Date');
    expect(res.headers['x-request-id']).toBe('req-123');
  });

  it('generates a request id when none (or an unsafe one) is given', async () => {
    const plain = await service.app.inject({ url: '/api/v2/items/1' });
    expect(plain.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await service.app.inject({
      url: '/api/v2/items/1',
      headers: { 'x-request-id': 'a\nb c' },
    });
    expect(unsafe.headers['x-request-id']).not.toContain('\n');
    expect(unsafe.json().metadata.requestId).toBe(unsafe.headers['x-request-id']);
  });

  it('sends 201 in the envelope and 204 with no body', async () => {
    const created = await service.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: { name: 'pen', qty: 1 },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().data).toEqual({ id: 'new', name: 'pen' });
    const deleted = await service.app.inject({ method: 'DELETE', url: '/api/v1/items/1' });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
  });

  it('logs the request id on the request line', async () => {
    await service.app.inject({ url: '/api/v2/items/9', headers: { 'x-request-id': 'log-me' } });
    const line = logs.lines().find((l) => l.requestId === 'log-me');
    expect(line).toMatchObject({ msg: 'request completed', route: '/api/v2/items/:id', status: 200 });
  });
});

describe('errors', () => {
  it('404 for an unknown route, in the error envelope', async () => {
    const res = await service.app.inject({ url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for GET /nope' } });
  });

  it('405 with Allow for a known path and another method', async () => {
    const res = await service.app.inject({ method: 'PUT', url: '/api/v2/items/1' });
    expect(res.statusCode).toBe(405);
    expect(res.json().error.code).toBe('METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toContain('GET');
    const health = await service.app.inject({ method: 'POST', url: '/health' });
    expect(health.statusCode).toBe(405);
  });

  it('400 with per-field details on validation failure', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: { name: 'x', qty: 0 },
    });
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error.code).toBe('VALIDATION_FAILED');
    const paths = error.details.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['body/name']));
  });

  it('names a missing required field', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/api/v1/items', payload: { name: 'pen' } });
    expect(res.json().error.details.fields).toContainEqual(expect.objectContaining({ path: 'body/qty' }));
  });

  it('400 MALFORMED_JSON for a broken body', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('MALFORMED_JSON');
  });

  it('413 PAYLOAD_TOO_LARGE above BODY_LIMIT_BYTES', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: { name: 'x'.repeat(2000), qty: 1 },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'Request body exceeds 1024 bytes',
    });
  });

  it('415 for an unsupported content type', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { 'content-type': 'application/x-weird' },
      payload: 'x',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('500 with a generic message; the cause is logged, never sent', async () => {
    const res = await service.app.inject({ url: '/api/v1/boom', headers: { 'x-request-id': 'boom-1' } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } });
    expect(res.body).not.toContain('hunter2');
    const logged = logs.lines().find((l) => l.requestId === 'boom-1' && l.msg === 'unhandled error');
    expect(JSON.stringify(logged)).toContain('database password=hunter2');
  });

  it('sets security headers on every response', async () => {
    const res = await service.app.inject({ url: '/health' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });
});
