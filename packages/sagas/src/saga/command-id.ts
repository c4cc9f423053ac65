import { createHash } from 'node:crypto';

/**
 * A name-based UUID (version 5 layout, SHA-1) of `parts`: the same parts always give the same id.
 * Command ids come from here, so a command re-sent after a crash carries the id it had, and the
 * participant's inbox drops it.
 */
export function nameUuid(...parts: readonly (string | number)[]): string {
  const hash = createHash('sha1').update(parts.join('\u001f')).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The id of the command an instance sends for (step, phase, attempt): deterministic. */
export function commandId(instanceId: string, step: number, phase: 'do' | 'undo', attempt: number): string {
  return nameUuid('outrig-saga-command', instanceId, step, phase, attempt);
}

/** The id of the instance of saga `saga` for correlation key `key`: one per key. */
export function instanceId(saga: string, key: string): string {
  return nameUuid('outrig-saga-instance', saga, key);
}
