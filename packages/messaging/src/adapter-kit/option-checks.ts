/**
 * Checks of resolved adapter options that throw the adapter's own "options invalid" error,
 * made by `invalid(option, reason)`.
 *
 * @example
 * const check = optionChecks((option, reason) => MyErrors.MY_OPTIONS_INVALID({ params: { option, reason } }));
 * check.int('partitions', resolved.partitions, 1, 1024);
 * check.boolean('idempotent', resolved.idempotent);
 */
export function optionChecks(invalid: (option: string, reason: string) => Error) {
  return {
    /** An integer in `min…max` (both included). */
    int(option: string, value: number, min: number, max: number): void {
      if (!Number.isInteger(value) || value < min || value > max) {
        throw invalid(option, `${String(value)} is not an integer in ${min}…${max}`);
      }
    },
    boolean(option: string, value: unknown): void {
      if (typeof value !== 'boolean') throw invalid(option, 'must be true or false');
    },
  };
}
