import { bool, type ConfigKey, ConfigParseError, int, oneOf, port, str } from '../config/config-key.ts';
import { loadConfig } from '../config/load-config.ts';

/** Samplers accepted in `OTEL_TRACES_SAMPLER` (the spec's built-in ones). */
export const TRACE_SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;

export type TraceSamplerName = (typeof TRACE_SAMPLERS)[number];

/** OTLP/HTTP encodings: protobuf (`exporter-trace-otlp-proto`) or JSON (`exporter-trace-otlp-http`). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Where spans go: an OTLP/HTTP endpoint, the console (debugging), or nowhere. */
export type SpanExport = { kind: 'otlp'; protocol: OtlpProtocol; url: string } | { kind: 'console' };

/** The tracing setup a process starts with, read once from its environment. */
export interface TracingSettings {
  /** False when `TRACING_ENABLED=false` or `OTEL_SDK_DISABLED=true`: no SDK at all. */
  readonly enabled: boolean;
  /**
   * `OTEL_SERVICE_NAME`, else `SERVICE_NAME`; `undefined` means "the name the service gives
   * `createService()`" (filled in when the service is built).
   */
  readonly serviceName: string | undefined;
  /** `undefined`: spans are created and propagated (trace ids in logs) but not exported. */
  readonly export: SpanExport | undefined;
  readonly sampler: TraceSamplerName;
  /** Ratio for the `*traceidratio` samplers (`OTEL_TRACES_SAMPLER_ARG`, default 1). */
  readonly samplerRatio: number;
  /** Longest wait before buffered spans are exported (`OTEL_BSP_SCHEDULE_DELAY`, default 5000). */
  readonly exportDelayMs: number;
  /** One-line notices to print at start (deprecated variables). */
  readonly warnings: readonly string[];
}

/** OTLP/HTTP port of Jaeger, Tempo and the OpenTelemetry Collector. */
const OTLP_HTTP_PORT = 4318;

function httpUrl(init: { env: string; doc: string }): ConfigKey<string> {
  const expected = 'an http:// or https:// URL';
  return {
    ...init,
    optional: true,
    expected,
    parse(raw) {
      try {
        const u = new URL(raw.trim());
        if (u.protocol === 'http:' || u.protocol === 'https:') return raw.trim();
      } catch {}
      throw new ConfigParseError(expected);
    },
  };
}

function otlpProtocol(env: string): ConfigKey<OtlpProtocol> {
  const expected = 'http/protobuf or http/json (grpc is not supported: use the OTLP/HTTP port, 4318)';
  return {
    env,
    doc: 'OTLP encoding',
    optional: true,
    expected,
    parse(raw) {
      const v = raw.trim().toLowerCase();
      if (v === 'http/protobuf' || v === 'http/json') return v;
      throw new ConfigParseError(expected);
    },
  };
}

function ratio(env: string): ConfigKey<number> {
  const expected = 'a number between 0 and 1';
  return {
    env,
    doc: 'Sampling ratio for the traceidratio samplers',
    optional: true,
    expected,
    parse(raw) {
      const n = Number(raw.trim());
      if (raw.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 1) return n;
      throw new ConfigParseError(expected);
    },
  };
}

/**
 * The variables tracing reads: Outrig's `TRACING_ENABLED` and the standard OpenTelemetry ones
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/), plus the
 * old guides' `JAEGER_HOST`/`JAEGER_PORT`.
 */
export const tracingConfigSchema = {
  tracingEnabled: bool({ env: 'TRACING_ENABLED', doc: 'Start OpenTelemetry tracing', default: true }),
  sdkDisabled: bool({
    env: 'OTEL_SDK_DISABLED',
    doc: 'Standard switch: true disables the SDK',
    default: false,
  }),
  otelServiceName: str({ env: 'OTEL_SERVICE_NAME', doc: 'service.name of spans', optional: true }),
  serviceName: str({ env: 'SERVICE_NAME', doc: 'Service name (service.name fallback)', optional: true }),
  endpoint: httpUrl({ env: 'OTEL_EXPORTER_OTLP_ENDPOINT', doc: 'OTLP/HTTP base URL (+ /v1/traces)' }),
  tracesEndpoint: httpUrl({ env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', doc: 'OTLP/HTTP traces URL, as is' }),
  protocol: otlpProtocol('OTEL_EXPORTER_OTLP_PROTOCOL'),
  tracesProtocol: otlpProtocol('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'),
  exporter: oneOf(['otlp', 'console', 'none'] as const, {
    env: 'OTEL_TRACES_EXPORTER',
    doc: 'Span exporter',
    default: 'otlp',
  }),
  sampler: oneOf(TRACE_SAMPLERS, {
    env: 'OTEL_TRACES_SAMPLER',
    doc: 'Sampler',
    default: 'parentbased_always_on',
  }),
  samplerArg: ratio('OTEL_TRACES_SAMPLER_ARG'),
  exportDelayMs: int({
    env: 'OTEL_BSP_SCHEDULE_DELAY',
    doc: 'Longest wait (ms) before buffered spans are exported',
    default: 5000,
    min: 0,
  }),
  jaegerHost: str({ env: 'JAEGER_HOST', doc: 'Deprecated: OTLP to http://JAEGER_HOST:4318', optional: true }),
  jaegerPort: port({
    env: 'JAEGER_PORT',
    doc: 'Deprecated, ignored (OTLP/HTTP is port 4318)',
    optional: true,
  }),
} as const;

/**
 * Reads and validates the tracing variables. Throws `CONFIG_INVALID` naming every bad variable
 * (the `--import` entry then exits 78, like a service with bad configuration).
 *
 * Export target, in order: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (as is),
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, deprecated `JAEGER_HOST` → `http://HOST:4318`,
 * else no export (spans still carry trace ids into logs and onward requests).
 *
 * @example
 * const settings = tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
 * // settings.export → { kind: 'otlp', protocol: 'http/protobuf', url: 'http://collector:4318/v1/traces' }
 */
export function tracingSettingsFromEnv(env: Record<string, string | undefined>): TracingSettings {
  const c = loadConfig(tracingConfigSchema, env);
  const warnings: string[] = [];
  const protocol = c.tracesProtocol ?? c.protocol ?? 'http/protobuf';
  let url: string | undefined;
  if (c.tracesEndpoint) url = c.tracesEndpoint;
  else if (c.endpoint) url = `${c.endpoint.replace(/\/+$/, '')}/v1/traces`;
  else if (c.jaegerHost) {
    const base = `http://${c.jaegerHost}:${OTLP_HTTP_PORT}`;
    url = `${base}/v1/traces`;
    warnings.push(
      `warning: JAEGER_HOST/JAEGER_PORT are deprecated; exporting OTLP to ${base} — set OTEL_EXPORTER_OTLP_ENDPOINT=${base} instead`,
    );
  }
  let spanExport: SpanExport | undefined;
  if (c.exporter === 'console') spanExport = { kind: 'console' };
  else if (c.exporter === 'otlp' && url) spanExport = { kind: 'otlp', protocol, url };
  return {
    enabled: c.tracingEnabled && !c.sdkDisabled,
    serviceName: c.otelServiceName ?? c.serviceName,
    export: spanExport,
    sampler: c.sampler,
    samplerRatio: c.samplerArg ?? 1,
    exportDelayMs: c.exportDelayMs,
    warnings,
  };
}

/** One line for the start log: where spans go. */
export function describeTracing(settings: TracingSettings | undefined): string {
  if (!settings) return 'off (start with --import @outrig/core/telemetry)';
  if (!settings.enabled) return 'off';
  const sampled = settings.sampler === 'parentbased_always_on' ? '' : `, sampler ${settings.sampler}`;
  if (!settings.export) return `on, not exported (no OTEL_EXPORTER_OTLP_ENDPOINT)${sampled}`;
  if (settings.export.kind === 'console') return `on, to the console${sampled}`;
  return `on, OTLP ${settings.export.protocol} to ${settings.export.url}${sampled}`;
}
