import { createMemoryBroker, createMemoryHub, type MemoryBroker } from '@outrig/messaging';
import { describeBrokerConformance } from '@outrig/testing';

// Brokers sharing one hub behave like processes connected to one broker server.
const hub = createMemoryHub();

describeBrokerConformance({
  name: 'memory',
  create: async () => createMemoryBroker({ hub }),
  crash: (broker) => (broker as MemoryBroker).crash(),
  leftovers: async (topics) => topics.flatMap((t) => hub.groups(t).map((g) => `group ${g}`)),
  timeoutMs: 10_000,
});
