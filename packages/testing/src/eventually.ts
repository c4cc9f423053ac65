/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Give up after this long. Default 30 000 ms. */
  timeoutMs?: number;
  /** Wait between tries. Default 50 ms. */
  intervalMs?: number;
  /** Added to the timeout error (a server's log, the last state seen). */
  context?: () => string;
}

/**
 * Polls `fn` until it returns something other than `undefined`, and returns that. A try that
 * throws counts as "not yet" (a server still starting). Fails with "timed out waiting for
 * <what>" after `timeoutMs`.
 *
 * @example
 * const row = await eventually('the notification', async () =>
 *   (await list()).find((n) => n.subject === id));
 */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  options: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const context = options.context?.();
      throw new Error(`timed out waiting for ${what}${context ? `\n${context}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}
