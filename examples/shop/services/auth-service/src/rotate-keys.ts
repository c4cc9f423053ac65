/**
 * `npm run auth:rotate-keys [-- --now | --activate-in <seconds>]` — rotates auth-service's ES256
 * signing key: the new key is published at once and signs after 360 s (verifiers refresh their
 * JWKS every 300 s, so they know it by then); the current key signs until that moment, and its
 * tokens verify until they expire (AUTH_ACCESS_TTL_S + 300 s). Keys past that are deleted.
 * `--now` switches at once (a compromised key). Running instances need no restart.
 *
 * Database, as `npm start` (`outrig dev`) gives it: `AUTH_SERVICE_DATABASE_URL` (or
 * `DATABASE_URL_AUTH_SERVICE`), else database `shop_auth_service` on the server of `DATABASE_URL`,
 * else the embedded server of
 * `npm start` (database `auth_service`; started for the command and stopped after). Migrations
 * are applied first, so it also works on a fresh database.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  authMigrations,
  KEY_ACTIVATION_DELAY_S,
  KEY_RETENTION_MARGIN_S,
  rotateSigningKeys,
} from '@outrig/auth';
import {
  createPgClient,
  type EmbeddedPostgresServer,
  ensureDatabase,
  ensureEmbeddedPostgres,
  migrate,
  serviceDatabaseName,
} from '@outrig/db';

const shopRoot = fileURLToPath(new URL('../../../', import.meta.url));

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

const accessTtlS = Number(process.env.AUTH_ACCESS_TTL_S ?? 900);
if (!Number.isInteger(accessTtlS) || accessTtlS < 1) {
  fail(`AUTH_ACCESS_TTL_S=${JSON.stringify(process.env.AUTH_ACCESS_TTL_S)} is not a positive integer`, 78);
}
const { values: args } = parseArgs({
  options: { now: { type: 'boolean', default: false }, 'activate-in': { type: 'string' } },
});
const activateInS = args.now ? 0 : Number(args['activate-in'] ?? KEY_ACTIVATION_DELAY_S);
if (!Number.isInteger(activateInS) || activateInS < 0)
  fail('--activate-in expects whole seconds (0 or more)', 64);

let embedded: EmbeddedPostgresServer | undefined;
async function databaseUrl(): Promise<string> {
  const configured = process.env.AUTH_SERVICE_DATABASE_URL || process.env.DATABASE_URL_AUTH_SERVICE;
  if (configured) return configured;
  if (process.env.DATABASE_URL) {
    return (await ensureDatabase(process.env.DATABASE_URL, serviceDatabaseName('shop_auth-service'))).url;
  }
  embedded = await ensureEmbeddedPostgres({
    dataDir: `${(process.env.OUTRIG_HOME ?? shopRoot).replace(/\/$/, '')}/.outrig/postgres`,
    port: Number(process.env.OUTRIG_PG_PORT ?? 5488),
    portTaken: 'any-free',
  });
  return (await ensureDatabase(embedded.adminUrl, serviceDatabaseName('auth-service'))).url;
}

let code = 0;
try {
  const sql = createPgClient({ url: await databaseUrl(), max: 2 });
  try {
    await migrate(sql, await authMigrations());
    const keepS = accessTtlS + KEY_RETENTION_MARGIN_S;
    const { kid, activatesAt, activatesInS, retired, deleted } = await rotateSigningKeys(sql, {
      keepS,
      activateInS,
    });
    console.log(
      `auth-service: new signing key ${kid}, published now, signing from ${activatesAt.toISOString()} (in ${activatesInS} s)`,
    );
    if (retired.length > 0) {
      console.log(`  replaces ${retired.join(', ')} (signing until then, published ${keepS} s longer)`);
    }
    if (deleted.length > 0) console.log(`  deleted expired ${deleted.join(', ')}`);
  } finally {
    await sql.close();
  }
} catch (err) {
  const e = err as Error & { code?: string };
  console.error(`auth-service: key rotation failed: ${e.code ?? 'ERROR'} ${e.message}`);
  code = 1;
}
await embedded?.stop();
process.exit(code);
