/** A projection process for the kill test: runs the tally projection live until killed. */
import { createPgClient } from '@outrig/db';
import { createProjectionRunner } from '../../src/index.ts';
import { Tally } from '../fixtures/tally-projection.ts';

const sql = createPgClient({ url: String(process.env.DB_URL), max: 3 });
const runner = createProjectionRunner({ sql, projection: Tally, batchSize: 5, pollMs: 20 });
await runner.start();
process.stdout.write('ready\n');
