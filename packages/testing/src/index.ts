export type { BrokerConformanceOptions } from './conformance/broker-conformance-options.ts';
export type { ConformanceCheck } from './conformance/conformance-check.ts';
export {
  brokerConformanceChecks,
  describeBrokerConformance,
} from './conformance/describe-broker-conformance.ts';
export { createTestDatabase, type TestDatabase } from './database.ts';
export { NATS_SERVER_BINARY, NatsServer, natsServerInstalled } from './nats-server.ts';
export { deleteNatsStreams } from './nats-streams.ts';
export { serverAvailable, type TestServer, testServers } from './servers.ts';
