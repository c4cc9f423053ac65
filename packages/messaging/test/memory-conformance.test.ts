import { createMemoryBroker, createMemoryHub, type MemoryBroker } from '@outrig/messaging';
import { describeBrokerConformance } from '@outrig/testing';

// Brokers sharing one hub behave like processes connected to one broker server.
const hub = createMemoryHub();

describeBrokerConformance({
  name: 'memory',
  create: async () => createMemoryBroker({ hub }),
  crash: (broker) => (broker as MemoryBroker).crash(),
  timeoutMs: 10_000,
});
