import protobuf from 'protobufjs';

/**
 * The subset of the OTLP trace protocol (opentelemetry-proto: collector/trace/v1,
 * trace/v1, common/v1, resource/v1) a receiver needs, with the upstream field numbers.
 * Fields left out (dropped counts, schema URLs, deprecated ones) are skipped when decoding.
 */
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package opentelemetry.proto;

message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }

message ResourceSpans {
  Resource resource = 1;
  repeated ScopeSpans scope_spans = 2;
}
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans {
  InstrumentationScope scope = 1;
  repeated Span spans = 2;
}
message InstrumentationScope { string name = 1; string version = 2; }

message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  repeated Event events = 11;
  repeated Link links = 13;
  Status status = 15;
  fixed32 flags = 16;

  message Event {
    fixed64 time_unix_nano = 1;
    string name = 2;
    repeated KeyValue attributes = 3;
  }
  message Link {
    bytes trace_id = 1;
    bytes span_id = 2;
    string trace_state = 3;
    repeated KeyValue attributes = 4;
    fixed32 flags = 6;
  }
}
message Status { string message = 2; int32 code = 3; }

message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

let requestType: protobuf.Type | undefined;

/**
 * Decodes an `ExportTraceServiceRequest` (binary protobuf) into the same plain shape OTLP/JSON
 * has: lowerCamelCase keys, ids as bytes (`Uint8Array`), 64-bit integers as strings.
 */
export function decodeOtlpTraceProtobuf(body: Uint8Array): unknown {
  requestType ??= protobuf
    .parse(OTLP_TRACE_PROTO)
    .root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');
  const message = requestType.decode(body);
  return requestType.toObject(message, { longs: String, enums: Number, oneofs: false, defaults: false });
}
