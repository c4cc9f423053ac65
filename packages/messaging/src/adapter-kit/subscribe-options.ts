import type { SubscribeOptions } from '../broker.ts';

/** {@link SubscribeOptions} after defaults, with the topics deduplicated. */
export interface CheckedSubscribe {
  readonly topics: readonly string[];
  readonly group: string;
  readonly maxInFlight: number;
  readonly startFrom: 'earliest' | 'latest';
}

/**
 * The argument checks of `Broker.subscribe` every transport makes: at least one topic (each
 * passed to `assertTopic`, which throws the transport's own error), a group (`assertGroup`),
 * `maxInFlight` an integer ≥ 1 (default `defaultMaxInFlight`), `startFrom` `'earliest'`
 * (default) or `'latest'`. Other problems throw `invalid(reason)`.
 *
 * @example
 * const { topics: unique, group, maxInFlight } = checkSubscribe(topics, options, {
 *   defaultMaxInFlight: 64,
 *   assertTopic,
 *   assertGroup,
 *   invalid: (reason) => MyErrors.MY_SUBSCRIBE_INVALID({ params: { reason } }),
 * });
 */
export function checkSubscribe(
  topics: readonly string[],
  options: SubscribeOptions,
  rules: {
    readonly defaultMaxInFlight: number;
    readonly assertTopic: (topic: string) => void;
    readonly assertGroup: (group: string) => void;
    readonly invalid: (reason: string) => Error;
  },
): CheckedSubscribe {
  const { group, maxInFlight = rules.defaultMaxInFlight, startFrom = 'earliest' } = options ?? {};
  if (!Array.isArray(topics) || topics.length === 0) throw rules.invalid('give at least one topic');
  for (const topic of topics) rules.assertTopic(topic);
  rules.assertGroup(group);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
    throw rules.invalid('maxInFlight must be an integer ≥ 1');
  if (startFrom !== 'earliest' && startFrom !== 'latest')
    throw rules.invalid("startFrom is 'earliest' or 'latest'");
  return { topics: [...new Set(topics)], group, maxInFlight, startFrom };
}
