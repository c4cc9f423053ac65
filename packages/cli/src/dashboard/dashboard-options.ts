import { CliErrors } from '../errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The dashboard's port when nothing asks for another (Encore's local dashboard uses it too). */
export const DASHBOARD_PORT = 9400;

/** What `outrig dev` does about its dashboard in this run. */
export type DashboardPlan =
  | {
      readonly enabled: false /** Why, for a note; undefined when turned off on purpose. */;
      readonly note?: string;
    }
  | {
      readonly enabled: true;
      readonly port: number;
      /** The port was asked for (flag or variable): taken means fail, not move. */
      readonly strict: boolean;
      /** Where the port came from, for messages. */
      readonly source: string;
    };

export interface DashboardFlags {
  /** `--dashboard-port <port>`. */
  readonly port?: number;
  /** `--no-dashboard` gives false. */
  readonly enabled?: boolean;
}

/**
 * Decides the dashboard from the flags and the environment: `--no-dashboard` or
 * `OUTRIG_DASHBOARD=off` turns it off; `--dashboard-port`, else `OUTRIG_DASHBOARD_PORT`, else
 * 9400 (moving to a free port when 9400 is taken). Under `NODE_ENV=production` it is off, and
 * asking for it by flag or variable fails with CLI_DASHBOARD_REFUSED.
 */
export function planDashboard(flags: DashboardFlags, env: Env): DashboardPlan {
  const off = env.OUTRIG_DASHBOARD?.trim().toLowerCase();
  if (off !== undefined && off !== '' && !['off', 'false', '0', 'on', 'true', '1'].includes(off)) {
    throw CliErrors.CLI_DASHBOARD_OPTIONS_INVALID({
      params: {
        variable: 'OUTRIG_DASHBOARD',
        expected: 'on or off',
        value: JSON.stringify(env.OUTRIG_DASHBOARD),
      },
    });
  }
  if (flags.enabled === false || off === 'off' || off === 'false' || off === '0') return { enabled: false };
  const rawEnvPort = env.OUTRIG_DASHBOARD_PORT;
  let port = DASHBOARD_PORT;
  let source = 'the default port';
  if (flags.port !== undefined) {
    port = flags.port;
    source = '--dashboard-port';
  } else if (rawEnvPort !== undefined && rawEnvPort !== '') {
    port = Number(rawEnvPort);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw CliErrors.CLI_DASHBOARD_OPTIONS_INVALID({
        params: {
          variable: 'OUTRIG_DASHBOARD_PORT',
          expected: 'a port number (0-65535)',
          value: JSON.stringify(rawEnvPort),
        },
      });
    }
    source = 'OUTRIG_DASHBOARD_PORT';
  }
  const strict = source !== 'the default port';
  if (env.NODE_ENV === 'production') {
    if (strict) throw CliErrors.CLI_DASHBOARD_REFUSED({ params: { source } });
    return { enabled: false, note: 'The dashboard is off: NODE_ENV is production.\n' };
  }
  return { enabled: true, port, strict, source };
}
