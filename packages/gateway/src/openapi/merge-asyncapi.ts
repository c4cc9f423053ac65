// The gateway's `/asyncapi.json`: the services' AsyncAPI 3.0 documents (served by each service
// that declares its events to `connectMessaging`) merged into one.

/**
 * Merges services' AsyncAPI documents into one (the gateway's `/asyncapi.json`): channels with
 * the same address become one with the union of their messages; operations are prefixed with
 * the service name (`inventory-service.send.product.created`).
 */
export function mergeAsyncApiDocuments(
  title: string,
  documents: ReadonlyArray<{ service: string; document: unknown }>,
  unavailable: ReadonlyArray<{ service: string; reason: string }> = [],
): Record<string, unknown> {
  const channels: Record<string, { address: string; messages: Record<string, unknown> }> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const { service, document } of documents) {
    const doc = document as {
      channels?: Record<string, { address: string; messages?: Record<string, unknown> }>;
      operations?: Record<string, unknown>;
      components?: { messages?: Record<string, unknown> };
    };
    for (const [key, channel] of Object.entries(doc.channels ?? {})) {
      channels[key] ??= { address: channel.address, messages: {} };
      Object.assign(channels[key].messages, channel.messages ?? {});
    }
    Object.assign(messages, doc.components?.messages ?? {});
    for (const [key, operation] of Object.entries(doc.operations ?? {})) {
      operations[`${componentKey(service)}.${key}`] = operation;
    }
  }
  return {
    asyncapi: '3.0.0',
    info: { title, version: '1', description: 'The events of every service behind this gateway.' },
    defaultContentType: 'application/cloudevents+json',
    channels: sortKeys(channels),
    operations: sortKeys(operations),
    components: { messages: sortKeys(messages) },
    ...(unavailable.length > 0 ? { 'x-outrig-unavailable': unavailable } : {}),
  };
}

/** AsyncAPI component keys match `^[a-zA-Z0-9.\-_]+$`. */
function componentKey(name: string): string {
  return name.replace(/[^a-zA-Z0-9.\-_]/g, '_');
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
