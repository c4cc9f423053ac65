import type { BrokerCapabilities } from '@outrig/messaging';
import type { BrokerConformanceOptions } from './broker-conformance-options.ts';
import type { ConformanceHarness } from './conformance-harness.ts';

/** One conformance check: its title, when it does not apply (the skip reason), and its body. */
export interface ConformanceCheck {
  readonly name: string;
  /** A reason to skip, shown in the test report, or undefined to run. */
  skip?(capabilities: BrokerCapabilities, options: BrokerConformanceOptions): string | undefined;
  /** `skip(reason)` skips at run time (e.g. PostgreSQL unreachable); it throws. */
  run(h: ConformanceHarness, skip: (reason: string) => never): Promise<void>;
}

/** Skip reason when the adapter does not claim a capability. */
export function requires(...flags: (keyof BrokerCapabilities)[]) {
  return (caps: BrokerCapabilities): string | undefined => {
    const missing = flags.filter((f) => !caps[f]);
    return missing.length > 0
      ? `adapter does not claim capabilities.${missing.join(', capabilities.')}`
      : undefined;
  };
}
