/**
 * Which metrics a PromQL expression reads, and which metrics docs/metrics.md documents — so the
 * ops tests can check that alerts and dashboard panels only use metrics that exist.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const METRICS_DOC = fileURLToPath(new URL('../../../docs/metrics.md', import.meta.url));

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'start', 'end']);

/**
 * Every series name docs/metrics.md lists (rows `| \`name\` | type |`), with a histogram's
 * `_bucket`, `_sum` and `_count` series.
 *
 * @example
 * documentedMetrics().has('http_request_duration_seconds_bucket'); // true
 */
export function documentedMetrics(file = METRICS_DOC): Set<string> {
  const names = new Set<string>();
  const rows = readFileSync(file, 'utf8').matchAll(
    /^\| `([a-z_:][a-z0-9_:]*)` \| (counter|gauge|histogram|summary) \|/gm,
  );
  for (const [, name, type] of rows) {
    names.add(name!);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${name}${s}`);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(`${name}${s}`);
  }
  return names;
}

/**
 * The metric names a PromQL expression selects (label matchers, ranges, grouping labels,
 * functions and keywords left out). A lexical scan, good for the expressions of an ops pack.
 *
 * @example
 * metricNames('sum by (service) (rate(http_requests_total{status=~"5.."}[5m]))'); // ['http_requests_total']
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replaceAll(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replaceAll(/\{[^}]*\}/g, ' ')
    .replaceAll(/\[[^\]]*\]/g, ' ')
    .replaceAll(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...bare.matchAll(/(?<![\w.$:])[a-zA-Z_:][\w:]*(?![\w:]|\s*\()/g)].map((m) => m[0]);
  return [...new Set(names.filter((n) => !KEYWORDS.has(n.toLowerCase())))];
}
