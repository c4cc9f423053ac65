import { describe, expect, it } from 'vitest';
import { isOutrigError } from '../errors/outrig-error.ts';
import { describeTracing, tracingSettingsFromEnv } from './tracing-config.ts';

function problemsOf(env: Record<string, string>): { variable: string; expected: string }[] {
  try {
    tracingSettingsFromEnv(env);
  } catch (err) {
    expect(isOutrigError(err, 'CONFIG_INVALID')).toBe(true);
    return (err as { details: { problems: { variable: string; expected: string }[] } }).details.problems;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('tracingSettingsFromEnv', () => {
  it('with nothing set: on, W3C parent-based sampling, no export, name left to createService', () => {
    const s = tracingSettingsFromEnv({});
    expect(s).toMatchObject({
      enabled: true,
      serviceName: undefined,
      export: undefined,
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      warnings: [],
    });
    expect(describeTracing(s)).toBe('on, not exported (no OTEL_EXPORTER_OTLP_ENDPOINT)');
  });

  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT and defaults to http/protobuf', () => {
    const s = tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    expect(s.export).toEqual({
      kind: 'otlp',
      protocol: 'http/protobuf',
      url: 'http://collector:4318/v1/traces',
    });
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, and the traces protocol over the general one', () => {
    const s = tracingSettingsFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example/otlp/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    });
    expect(s.export).toEqual({
      kind: 'otlp',
      protocol: 'http/json',
      url: 'https://tempo.example/otlp/traces',
    });
    expect(describeTracing(s)).toBe('on, OTLP http/json to https://tempo.example/otlp/traces');
  });

  it('names the service from OTEL_SERVICE_NAME, else SERVICE_NAME', () => {
    expect(tracingSettingsFromEnv({ SERVICE_NAME: 'orders' }).serviceName).toBe('orders');
    expect(
      tracingSettingsFromEnv({ SERVICE_NAME: 'orders', OTEL_SERVICE_NAME: 'orders-eu' }).serviceName,
    ).toBe('orders-eu');
  });

  it('TRACING_ENABLED=false and OTEL_SDK_DISABLED=true turn tracing off', () => {
    expect(tracingSettingsFromEnv({ TRACING_ENABLED: 'false' }).enabled).toBe(false);
    expect(tracingSettingsFromEnv({ OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(describeTracing(tracingSettingsFromEnv({ TRACING_ENABLED: 'off' }))).toBe('off');
  });

  it('maps the deprecated JAEGER_HOST to OTLP/HTTP on port 4318, with one warning line', () => {
    const s = tracingSettingsFromEnv({ JAEGER_HOST: 'jaeger', JAEGER_PORT: '6831' });
    expect(s.export).toEqual({
      kind: 'otlp',
      protocol: 'http/protobuf',
      url: 'http://jaeger:4318/v1/traces',
    });
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatch(
      /JAEGER_HOST\/JAEGER_PORT are deprecated.*OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/jaeger:4318/,
    );
    expect(s.warnings[0]).not.toContain('\n');
  });

  it('ignores JAEGER_HOST without a warning when an OTEL endpoint is set', () => {
    const s = tracingSettingsFromEnv({
      JAEGER_HOST: 'jaeger',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
    });
    expect(s.export).toMatchObject({ url: 'http://otel:4318/v1/traces' });
    expect(s.warnings).toEqual([]);
  });

  it('OTEL_TRACES_EXPORTER=none keeps tracing on without export; console exports to stdout', () => {
    const none = tracingSettingsFromEnv({
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318',
    });
    expect(none).toMatchObject({ enabled: true, export: undefined });
    expect(tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'console' }).export).toEqual({ kind: 'console' });
  });

  it('reads the sampler and its ratio', () => {
    const s = tracingSettingsFromEnv({
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(s).toMatchObject({ sampler: 'parentbased_traceidratio', samplerRatio: 0.25 });
  });

  it('rejects grpc, garbage and out-of-range values, naming each variable', () => {
    const problems = problemsOf({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '1.5',
      TRACING_ENABLED: 'maybe',
      JAEGER_PORT: 'abc',
    });
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'JAEGER_PORT',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
      'TRACING_ENABLED',
    ]);
    const protocol = problems.find((p) => p.variable === 'OTEL_EXPORTER_OTLP_PROTOCOL')!;
    expect(protocol.expected).toContain('grpc is not supported');
  });
});
