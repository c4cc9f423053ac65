/** Time helpers: every wait in the suite is bounded by a deadline. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** A scenario's deadline: an absolute time, with the time left. */
export class Deadline {
  readonly at: number;
  constructor(ms: number) {
    this.at = Date.now() + ms;
  }
  get left(): number {
    return Math.max(0, this.at - Date.now());
  }
  get passed(): boolean {
    return Date.now() >= this.at;
  }
}

/**
 * Polls `check` every `everyMs` until it is true (resolves true) or the deadline passes
 * (resolves false). Errors thrown by `check` are retried until the deadline.
 */
export async function pollUntil(
  check: () => Promise<boolean> | boolean,
  deadline: Deadline,
  everyMs = 200,
): Promise<boolean> {
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // retried: a check may hit a server that is being restarted
    }
    if (deadline.passed) return false;
    await sleep(Math.min(everyMs, deadline.left));
  }
}

export function randomBetween(min: number, max: number): number {
  return min + Math.random() * (max - min);
}
