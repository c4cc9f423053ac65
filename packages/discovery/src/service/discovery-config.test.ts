import { isOutrigError, loadConfig } from '@outrig/core';
import { describe, expect, it } from 'vitest';
import { discoveryConfig } from './discovery-config.ts';

describe('discoveryConfig', () => {
  it('defaults to the local registry with auto-registration and a 10 s TTL', () => {
    expect(loadConfig(discoveryConfig, {})).toEqual({
      registryUrl: 'local:',
      autoRegisterService: true,
      registryTtlS: 10,
      advertiseHost: undefined,
      advertiseUrl: undefined,
      outrigHome: '.',
    });
  });

  it('names REGISTRY_URL and the reason when it is malformed', () => {
    let err: unknown;
    try {
      loadConfig(discoveryConfig, { REGISTRY_URL: 'consul://c:8500/v1', REGISTRY_TTL_S: '0' });
    } catch (e) {
      err = e;
    }
    expect(isOutrigError(err, 'CONFIG_INVALID')).toBe(true);
    const problems = (err as { details: { problems: { variable: string; expected: string }[] } }).details
      .problems;
    expect(problems.map((p) => p.variable)).toEqual(['REGISTRY_URL', 'REGISTRY_TTL_S']);
    expect(problems[0]?.expected).toMatch(/^local:, static:.* \(Consul URLs have no path\)$/);
  });
});
