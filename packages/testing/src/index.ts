export { binaryAvailable, binaryPath } from './binaries.ts';
export { makeTestEvent, uniqueSuffix, waitFor } from './broker-test-helpers.ts';
export type { BrokerConformanceOptions } from './conformance/broker-conformance-options.ts';
export type { ConformanceCheck } from './conformance/conformance-check.ts';
export {
  brokerConformanceChecks,
  describeBrokerConformance,
} from './conformance/describe-broker-conformance.ts';
export {
  type ConsulDouble,
  type ConsulDoubleOptions,
  startConsulDouble,
} from './consul/consul-double.ts';
export {
  type ConsumerContract,
  type ContractViolation,
  consumerContract,
  contractFile,
  type Interaction,
  type JsonType,
  type ProviderStub,
  stubProvider,
  verifyConsumerContracts,
  writeConsumerContract,
} from './consumer-contracts.ts';
export { createTestDatabase, type TestDatabase } from './database.ts';
export { ETCD_BINARY, EtcdServer, etcdInstalled, startEtcd } from './etcd/etcd-server.ts';
export { type EventuallyOptions, eventually } from './eventually.ts';
export { freePort } from './free-port.ts';
export { KafkaMock, type KafkaMockOptions } from './kafka/kafka-mock.ts';
export {
  ensureKafkaMockBinary,
  KAFKA_MOCK_SOURCES,
  kafkaMockAvailable,
  kafkaMockPath,
} from './kafka/kafka-mock-binary.ts';
export { type LogCapture, logCapture } from './log-capture.ts';
export { NATS_SERVER_BINARY, NatsServer, natsServerInstalled } from './nats-server.ts';
export { deleteNatsStreams } from './nats-streams.ts';
export { type OtlpReceiver, type OtlpReceiverOptions, startOtlpReceiver } from './otlp/otlp-receiver.ts';
export type {
  ReceivedAttributes,
  ReceivedAttributeValue,
  ReceivedSpan,
  ReceivedSpanKind,
} from './otlp/received-span.ts';
export { RABBITMQ_SERVER_BINARY, RabbitMqServer, rabbitMqServerInstalled } from './rabbitmq-server.ts';
export { deleteRabbitMqTopology, type RabbitMqTopology } from './rabbitmq-topology.ts';
export { deleteRedisKeys } from './redis-keys.ts';
export { RedisServer, redisServerInstalled } from './redis-server.ts';
export { serverAvailable, type TestServer, testServers } from './servers.ts';
export {
  createTestIssuer,
  type TestIssuer,
  type TestIssuerOptions,
  type TestTokenClaims,
} from './test-issuer.ts';
export {
  createInMemoryTracing,
  type InMemoryTracing,
  type InMemoryTracingOptions,
  type ReadableSpan,
} from './tracing/in-memory-tracing.ts';
