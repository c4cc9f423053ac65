import { serverAvailable } from '@outrig/testing';
import { describe, expect, it } from 'vitest';
import { runSagaCrashTest } from './crash/saga-crash.ts';

const hasPg = await serverAvailable('postgres');

// A fixed, small number of seeded runs; `npm run test:reliability` runs ≥ 1000 trips.
describe.skipIf(!hasPg)(
  'sagas under SIGKILL at named points, checked against a reference model (fast-check)',
  () => {
    it('every trip ends as the model says, each effect once, compensations in reverse, valid histories, no orphan timers', async () => {
      const totals = await runSagaCrashTest({ seed: 20261207, batches: 1, trips: 12, kills: 3 });
      expect(totals.problems).toEqual([]);
      expect(totals).toMatchObject({ runs: 12, stuck: 0, duplicatedEffects: 0 });
      expect(totals.completed + totals.compensated + totals.compensationFailed).toBe(12);
    }, 180_000);
  },
);
