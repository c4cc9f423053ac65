import { SagaErrors } from '../errors.ts';
import type { AnySagaDefinition, SagaDefinition } from './define-saga.ts';

/** The registered saga definitions, by name and version. */
export interface SagaRegistry {
  /** The definition instances of (name, version) run on. */
  get(name: string, version: number): SagaDefinition<unknown> | undefined;
  /** The saga a start event type starts (its latest version). */
  startedBy(type: string): SagaDefinition<unknown> | undefined;
  /** Whether some registered definition expects replies of this type. */
  isReply(type: string): boolean;
  /** Every topic to subscribe to: start events and replies. */
  readonly topics: readonly string[];
  readonly all: readonly SagaDefinition<unknown>[];
}

/**
 * Builds the registry. Several versions of one saga may be registered (instances finish on the
 * version they started on); new instances start on the highest version.
 *
 * @throws `SAGA_REGISTRY_INVALID` (empty, a version twice, two sagas started by one event type).
 */
export function createSagaRegistry(sagas: readonly AnySagaDefinition[]): SagaRegistry {
  const invalid = (reason: string) => SagaErrors.SAGA_REGISTRY_INVALID({ params: { reason } });
  if (!Array.isArray(sagas) || sagas.length === 0) throw invalid('register at least one saga definition');
  const all = sagas as unknown as SagaDefinition<unknown>[];
  const versions = new Map<string, SagaDefinition<unknown>>();
  const latest = new Map<string, SagaDefinition<unknown>>();
  for (const def of all) {
    if (typeof def?.replyTypes?.get !== 'function') throw invalid('every saga must come from defineSaga()');
    const id = `${def.name}@${def.version}`;
    if (versions.has(id)) throw invalid(`${def.name} version ${def.version} is registered twice`);
    versions.set(id, def);
    const best = latest.get(def.name);
    if (!best || best.version < def.version) latest.set(def.name, def);
  }
  const starts = new Map<string, SagaDefinition<unknown>>();
  for (const def of latest.values()) {
    const type = def.startedBy.event.type;
    const other = starts.get(type);
    if (other) throw invalid(`${type} starts both ${other.name} and ${def.name}`);
    starts.set(type, def);
  }
  const replies = new Set<string>();
  const topics = new Set<string>();
  for (const def of all) {
    topics.add(def.startedBy.event.topic);
    for (const [type, topic] of def.replyTypes) {
      replies.add(type);
      topics.add(topic);
    }
  }
  return {
    get: (name, version) => versions.get(`${name}@${version}`),
    startedBy: (type) => starts.get(type),
    isReply: (type) => replies.has(type),
    topics: [...topics].sort(),
    all,
  };
}
