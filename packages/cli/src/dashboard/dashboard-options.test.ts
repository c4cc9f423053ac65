import { describe, expect, it } from 'vitest';
import { planDashboard } from './dashboard-options.ts';

describe('planDashboard', () => {
  it('is on at 9400 by default, moving when taken', () => {
    expect(planDashboard({}, {})).toEqual({
      enabled: true,
      port: 9400,
      strict: false,
      source: 'the default port',
    });
  });

  it('takes the flag over the variable, and a port asked for is strict', () => {
    expect(planDashboard({ port: 9500 }, { OUTRIG_DASHBOARD_PORT: '9600' })).toMatchObject({
      port: 9500,
      strict: true,
    });
    expect(planDashboard({}, { OUTRIG_DASHBOARD_PORT: '9600' })).toMatchObject({ port: 9600, strict: true });
  });

  it('is off with --no-dashboard or OUTRIG_DASHBOARD=off', () => {
    expect(planDashboard({ enabled: false }, {})).toEqual({ enabled: false });
    expect(planDashboard({}, { OUTRIG_DASHBOARD: 'off' })).toEqual({ enabled: false });
  });

  it('is off under NODE_ENV=production, and refuses when asked for there', () => {
    expect(planDashboard({}, { NODE_ENV: 'production' })).toMatchObject({
      enabled: false,
      note: expect.stringContaining('production'),
    });
    expect(() => planDashboard({ port: 9400 }, { NODE_ENV: 'production' })).toThrow(
      expect.objectContaining({ code: 'CLI_DASHBOARD_REFUSED' }),
    );
  });

  it('names a bad variable', () => {
    expect(() => planDashboard({}, { OUTRIG_DASHBOARD_PORT: 'abc' })).toThrow(
      expect.objectContaining({
        code: 'CLI_DASHBOARD_OPTIONS_INVALID',
        message: expect.stringContaining('OUTRIG_DASHBOARD_PORT'),
      }),
    );
    expect(() => planDashboard({}, { OUTRIG_DASHBOARD: 'maybe' })).toThrow(
      expect.objectContaining({ code: 'CLI_DASHBOARD_OPTIONS_INVALID' }),
    );
  });
});
