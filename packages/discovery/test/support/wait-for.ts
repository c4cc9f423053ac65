/**
 * Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`
 * naming what it waited for. The deadline bounds a behaviour (an instance must leave within its
 * TTL plus slack); it is not a performance assertion.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Records every list a watch delivers. */
export function recordWatch(): { calls: string[][]; onChange: (instances: { id: string }[]) => void } {
  const calls: string[][] = [];
  return { calls, onChange: (instances) => calls.push(instances.map((i) => i.id)) };
}
