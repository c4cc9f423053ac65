/**
 * In-process wake-up: a unit of work signals after its commit, and every relay of this process
 * fetches at once instead of waiting for NOTIFY or its poll. A hint only; spurious wakes are cheap.
 */
const listeners = new Set<() => void>();

/** Calls every subscribed relay's wake-up. */
export function signalOutboxCommit(): void {
  for (const listener of listeners) listener();
}

/** Subscribes to commit signals; returns the unsubscribe function. */
export function onOutboxCommit(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
