import type { BrokerCapabilities } from '@outrig/messaging';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { BrokerConformanceOptions } from './broker-conformance-options.ts';
import type { ConformanceCheck } from './conformance-check.ts';
import { ConformanceHarness } from './conformance-harness.ts';
import { consumerChecks } from './consumer-checks.ts';
import { deliveryChecks } from './delivery-checks.ts';
import { groupChecks } from './group-checks.ts';
import { tailChecks } from './tail-checks.ts';

/** Every check of the suite, in the order they run. */
export const brokerConformanceChecks: readonly ConformanceCheck[] = [
  ...deliveryChecks.slice(0, 2),
  ...groupChecks,
  ...deliveryChecks.slice(2),
  ...consumerChecks,
  ...tailChecks,
];

/**
 * The shared Broker conformance suite: registers one vitest `describe` with every check,
 * skipping (with the reason shown) those the adapter's `capabilities` do not claim or whose
 * hooks (`crash`, `restartServer`) are not given. Topic and group names are unique per run.
 * Consumer checks use a fresh database on the test PostgreSQL server.
 *
 * @example
 * // packages/messaging-nats/test/conformance.test.ts
 * describeBrokerConformance({
 *   name: 'nats',
 *   available: () => serverAvailable('nats'),
 *   create: () => createNatsBroker({ servers: testServers.nats, ackWaitMs: 1000 }),
 *   crash: (b) => (b as NatsBroker).destroyForTests(),
 * });
 */
export function describeBrokerConformance(options: BrokerConformanceOptions): void {
  const h = new ConformanceHarness(options);
  let capabilities: BrokerCapabilities | undefined;

  describe(`Broker conformance: ${options.name}`, () => {
    beforeAll(async () => {
      h.available = options.available ? await options.available() : true;
      if (!h.available) return;
      h.probe = await options.create();
      capabilities = h.probe.capabilities;
    });

    afterAll(async () => {
      await h.closeAll();
      await h.probe?.close();
      await h.db.drop();
      if (h.available) await options.cleanup?.(h.topics());
    });

    for (const check of brokerConformanceChecks) {
      it(
        check.name,
        async (ctx) => {
          if (!h.available || !capabilities) return ctx.skip(`${options.name} server unavailable`);
          const reason = check.skip?.(capabilities, options);
          if (reason) return ctx.skip(reason);
          try {
            await check.run(h, (why) => ctx.skip(why));
          } finally {
            await h.closeAll();
          }
        },
        h.timeoutMs,
      );
    }
  });
}
