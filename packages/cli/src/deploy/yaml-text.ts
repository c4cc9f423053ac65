import { stringify } from 'yaml';

/**
 * YAML as a person would write it: no anchors or aliases for objects used twice (a shared
 * `labels` or `match` object is written out each time), no line folding.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}
