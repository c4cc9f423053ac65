import { describe, expect, it } from 'vitest';
import type { SystemService } from '../system/system-file.ts';
import { dashboardTelemetryEnv, serviceEnv } from './dev-env.ts';

const service = (env: Record<string, string> = {}): SystemService => ({
  name: 'inventory-service',
  dir: '/sys/services/inventory-service',
  relativeDir: 'services/inventory-service',
  port: 8004,
  kind: 'service',
  database: true,
  entry: 'src/main.ts',
  env,
  embeddedEnv: {},
  auth: false,
  migrations: 'src/migrations.ts',
  config: 'src/config.ts',
  routes: 'src/routes.ts',
  calls: [],
});
const parts = (telemetry: Record<string, string>) => ({
  home: '/sys',
  port: 8004,
  database: {},
  auth: {},
  embedded: false,
  behindGateway: false,
  telemetry,
});

describe('the dashboard as the services’ trace receiver', () => {
  it('points them at the dashboard with a short export delay', () => {
    expect(dashboardTelemetryEnv('http://127.0.0.1:9400', {})).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9400',
      OTEL_BSP_SCHEDULE_DELAY: '500',
    });
  });

  it('leaves them alone when the environment names a collector', () => {
    expect(
      dashboardTelemetryEnv('http://127.0.0.1:9400', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }),
    ).toEqual({});
    expect(
      dashboardTelemetryEnv('http://127.0.0.1:9400', {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/v1/traces',
      }),
    ).toEqual({});
  });

  it('is the lowest precedence: outrig.json env and the process environment win', () => {
    const telemetry = dashboardTelemetryEnv('http://127.0.0.1:9400', {});
    expect(serviceEnv(service(), {}, parts(telemetry)).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
      'http://127.0.0.1:9400',
    );
    expect(
      serviceEnv(service({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://from-json:4318' }), {}, parts(telemetry))
        .OTEL_EXPORTER_OTLP_ENDPOINT,
    ).toBe('http://from-json:4318');
    expect(
      serviceEnv(service(), { OTEL_BSP_SCHEDULE_DELAY: '2000' }, parts(telemetry)).OTEL_BSP_SCHEDULE_DELAY,
    ).toBe('2000');
  });
});
