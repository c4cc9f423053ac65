/**
 * The OTLP/HTTP trace decoding on its own, for a process that receives spans without the rest of
 * the test kit (`outrig dev`'s dashboard): `import { … } from '@outrig/testing/otlp'`.
 */
export { type OtlpReceiver, type OtlpReceiverOptions, startOtlpReceiver } from './otlp-receiver.ts';
export { decodeOtlpTraceProtobuf } from './otlp-trace-proto.ts';
export {
  type ReceivedAttributes,
  type ReceivedAttributeValue,
  type ReceivedSpan,
  type ReceivedSpanKind,
  spansFromOtlp,
} from './received-span.ts';
