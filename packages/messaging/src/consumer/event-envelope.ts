const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Why `event` is not a usable CloudEvent, or undefined when it is. The inbox keys on the id as
 * a UUID, so a non-UUID id can never be handled and is rejected here rather than retried.
 */
export function envelopeProblem(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return 'not an object';
  const e = event as Record<string, unknown>;
  if (e.specversion !== '1.0') return `specversion must be "1.0", got ${JSON.stringify(e.specversion)}`;
  if (typeof e.id !== 'string' || !UUID.test(e.id)) return 'id must be a UUID';
  if (typeof e.type !== 'string' || e.type === '') return 'type must be a non-empty string';
  if (typeof e.source !== 'string' || e.source === '') return 'source must be a non-empty string';
  return undefined;
}
