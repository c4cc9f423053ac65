import type { ConfigProblem } from '../config/load-config.ts';
import { CoreErrors } from '../errors.ts';
import { createServiceTokenSource, type ServiceTokenSource } from './service-token.ts';

const VARIABLES = {
  authTokenUrl: 'AUTH_TOKEN_URL',
  authClientId: 'AUTH_CLIENT_ID',
  authClientSecret: 'AUTH_CLIENT_SECRET',
} as const;

/**
 * The service's own token source from `AUTH_TOKEN_URL`, `AUTH_CLIENT_ID` and
 * `AUTH_CLIENT_SECRET`: none when all three are unset; `CONFIG_INVALID` naming the missing ones
 * when only some are set (a half-configured grant would fail on the first call instead).
 */
export function serviceTokenFrom(config: {
  authTokenUrl?: string | undefined;
  authClientId?: string | undefined;
  authClientSecret?: string | undefined;
}): ServiceTokenSource | undefined {
  const keys = Object.keys(VARIABLES) as (keyof typeof VARIABLES)[];
  const missing = keys.filter((k) => !config[k]);
  if (missing.length === keys.length) return undefined;
  if (missing.length > 0) {
    const problems: ConfigProblem[] = missing.map((k) => ({
      variable: VARIABLES[k],
      expected: `set together with ${keys
        .filter((o) => o !== k)
        .map((o) => VARIABLES[o])
        .join(' and ')} (client-credentials grant)`,
    }));
    const summary = problems.map((p) => `${p.variable} is required: expected ${p.expected}`).join('; ');
    throw CoreErrors.CONFIG_INVALID({ params: { summary }, details: { problems } });
  }
  return createServiceTokenSource({
    tokenUrl: config.authTokenUrl as string,
    clientId: config.authClientId as string,
    clientSecret: config.authClientSecret as string,
  });
}
