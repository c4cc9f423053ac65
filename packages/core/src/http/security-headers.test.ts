import { describe, expect, it } from 'vitest';
import { computeSecurityHeaders, DEFAULT_HELMET_OPTIONS } from './security-headers.ts';

describe('computeSecurityHeaders', () => {
  it("records helmet's headers once, with the strict API policy", () => {
    const headers = computeSecurityHeaders(DEFAULT_HELMET_OPTIONS);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['strict-transport-security']).toContain('max-age=');
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-powered-by']).toBeUndefined();
  });
});
