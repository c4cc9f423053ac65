import { isOutrigError } from '@outrig/core/errors';
import { describe, expect, it } from 'vitest';
import { durationMs, parseRegistryUrl } from './registry-url.ts';

describe('parseRegistryUrl', () => {
  it('reads every scheme', () => {
    expect(parseRegistryUrl('local:')).toEqual({ kind: 'local' });
    expect(parseRegistryUrl('local:/var/lib/outrig/registry')).toEqual({
      kind: 'local',
      dir: '/var/lib/outrig/registry',
    });
    expect(parseRegistryUrl('static:a=http://h:1,http://h2:2;b=https://b')).toEqual({
      kind: 'static',
      services: { a: ['http://h:1', 'http://h2:2'], b: ['https://b'] },
    });
    expect(parseRegistryUrl('etcd://10.0.0.1,10.0.0.2:2390')).toEqual({
      kind: 'etcd',
      hosts: ['http://10.0.0.1:2379', 'http://10.0.0.2:2390'],
    });
    expect(parseRegistryUrl('etcd://root:p%40ss@etcd:2379?prefix=/shop/')).toEqual({
      kind: 'etcd',
      hosts: ['http://etcd:2379'],
      auth: { username: 'root', password: 'p@ss' },
      prefix: '/shop/',
    });
    expect(
      parseRegistryUrl('consul://consul.local?token=t&dc=eu&deregister_critical_after=90s&wait=30s'),
    ).toEqual({
      kind: 'consul',
      url: 'http://consul.local:8500',
      token: 't',
      datacenter: 'eu',
      deregisterCriticalAfter: '90s',
      waitSeconds: 30,
    });
    expect(parseRegistryUrl('consul+https://c:8501')).toEqual({ kind: 'consul', url: 'https://c:8501' });
    expect(parseRegistryUrl('dns:')).toEqual({ kind: 'dns', domain: '' });
    expect(
      parseRegistryUrl(
        'dns:{name}.shop.svc.cluster.local?port=8080&srv=&scheme=https&server=10.0.0.10:53&refresh=2s',
      ),
    ).toEqual({
      kind: 'dns',
      domain: '{name}.shop.svc.cluster.local',
      port: 8080,
      srv: '',
      scheme: 'https',
      servers: ['10.0.0.10:53'],
      refreshMs: 2000,
    });
  });

  it('refuses malformed URLs with REGISTRY_URL_INVALID, the reason, and no secrets', () => {
    const cases: [string, RegExp][] = [
      ['zookeeper://zk:2181', /unknown scheme zookeeper:/],
      ['localhost:8500', /unknown scheme localhost:/],
      ['etcd:host', /start with etcd:\/\//],
      ['etcd://', /no etcd host/],
      ['etcd://h:99999', /not host\[:port\]/],
      ['etcd://h/path', /prefix/],
      ['consul://c:8500/v1', /no path/],
      ['consul://c?wait=20m', /wait=20m must be 1s–10m/],
      ['consul://c?deregister_critical_after=soon&token=s3cret', /not a duration/],
      ['dns:bad domain', /not a domain/],
      ['dns:x?port=0', /not a port/],
      ['dns://10.0.0.1/x', /no \/\//],
    ];
    for (const [url, reason] of cases) {
      let err: unknown;
      try {
        parseRegistryUrl(url);
      } catch (e) {
        err = e;
      }
      expect(isOutrigError(err, 'REGISTRY_URL_INVALID'), url).toBe(true);
      expect((err as Error).message, url).toMatch(reason);
      expect((err as Error).message).not.toContain('s3cret');
    }
  });

  it('reads Go-style durations', () => {
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('250ms')).toBe(250);
    expect(durationMs('1.5h')).toBe(5_400_000);
    expect(durationMs('10')).toBeUndefined();
  });
});
