import { afterAll, describe, expect, it } from 'vitest';
import { exampleService } from './helpers.ts';

const { service } = exampleService();
afterAll(() => service.app.close());

describe('API versioning', () => {
  it('307 from an unversioned path to the latest version that has the route', async () => {
    const latest = await service.app.inject({ url: '/api/items/5?x=1' });
    expect(latest.statusCode).toBe(307);
    expect(latest.headers.location).toBe('/api/v2/items/5?x=1');
    const onlyV1 = await service.app.inject({ url: '/api/only-in-v1' });
    expect(onlyV1.headers.location).toBe('/api/v1/only-in-v1');
  });

  it('keeps the method on redirect (POST goes to the version that has POST)', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/items',
      payload: { name: 'ab', qty: 1 },
    });
    expect(res.statusCode).toBe(307);
    expect(res.headers.location).toBe('/api/v1/items');
  });

  it('API-Version and Accept-Version headers select the version in place', async () => {
    const v1 = await service.app.inject({ url: '/api/items/5', headers: { 'api-version': '1' } });
    expect(v1.statusCode).toBe(200);
    expect(v1.json().data.name).toBe('v1');
    const v2 = await service.app.inject({ url: '/api/items/5', headers: { 'accept-version': 'v2' } });
    expect(v2.json().data.name).toBe('v2');
    expect(v2.headers['api-version']).toBe('v2');
  });

  it('rejects an unknown or malformed version clearly', async () => {
    const unknown = await service.app.inject({ url: '/api/items/5', headers: { 'api-version': '9' } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({
      code: 'API_VERSION_UNKNOWN',
      details: { available: ['v1', 'v2'] },
    });
    const path = await service.app.inject({ url: '/api/v7/items/5' });
    expect(path.json().error.code).toBe('API_VERSION_UNKNOWN');
    const bad = await service.app.inject({ url: '/api/items/5', headers: { 'api-version': 'latest!' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_REQUEST');
  });

  it('404 for an unversioned path no version has', async () => {
    const res = await service.app.inject({ url: '/api/unknown' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('lists versions with their status', async () => {
    const res = await service.app.inject({ url: '/api/versions' });
    expect(res.json().data).toEqual({
      latest: 'v2',
      versions: [
        {
          version: 'v1',
          status: 'deprecated',
          deprecated: '2026-01-01T00:00:00.000Z',
          sunset: '2027-01-01T00:00:00.000Z',
          successor: 'v2',
        },
        { version: 'v2', status: 'current' },
      ],
    });
  });

  it('a deprecated version sends Deprecation, Sunset and a successor Link', async () => {
    const res = await service.app.inject({ url: '/api/v1/items/3' });
    expect(res.headers.deprecation).toBe(`@${Date.parse('2026-01-01T00:00:00Z') / 1000}`);
    expect(res.headers.sunset).toBe('Fri, 01 Jan 2027 00:00:00 GMT');
    expect(res.headers.link).toBe('</api/v2/items/3>; rel="successor-version"');
    const onlyV1 = await service.app.inject({ url: '/api/v1/only-in-v1' });
    expect(onlyV1.headers.link).toBe('</api/v2>; rel="successor-version"');
    const current = await service.app.inject({ url: '/api/v2/items/3' });
    expect(current.headers.deprecation).toBeUndefined();
  });
});

describe('versioning config', () => {
  it('API_UNVERSIONED=serve answers in place from the latest version', async () => {
    const { service: s } = exampleService({ API_UNVERSIONED: 'serve' });
    const res = await s.app.inject({ url: '/api/items/5' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.name).toBe('v2');
    await s.app.close();
  });

  it('LATEST_API_VERSION caps latest; newer versions are previews', async () => {
    const { service: s } = exampleService({ LATEST_API_VERSION: '1' });
    const res = await s.app.inject({ url: '/api/items/5' });
    expect(res.headers.location).toBe('/api/v1/items/5');
    const list = await s.app.inject({ url: '/api/versions' });
    expect(list.json().data.versions[1]).toMatchObject({ version: 'v2', status: 'preview' });
    await s.app.close();
  });

  it('API_VERSION pins unversioned requests when that version has the route', async () => {
    const { service: s } = exampleService({ API_VERSION: '1' });
    const res = await s.app.inject({ url: '/api/items/5' });
    expect(res.headers.location).toBe('/api/v1/items/5');
    await s.app.close();
  });
});
