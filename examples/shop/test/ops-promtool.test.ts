import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { binaryAvailable } from '@outrig/testing';
import { describe, expect, it } from 'vitest';
import { renderTargets, scrapeTargets } from '../ops/prometheus/targets.ts';
import { documentedMetrics, metricNames } from '../ops/promql-metrics.ts';

// The operations pack's Prometheus files, checked by Prometheus' own tool (Debian's prometheus
// package ships promtool): config, alert rules, and the rules' unit tests.

const dir = fileURLToPath(new URL('../ops/prometheus/', import.meta.url));
const read = (file: string) => readFileSync(`${dir}${file}`, 'utf8');

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** `alert: Name` entries of alerts.yml, with their `expr` (single line or folded `>-` block). */
function alertRules(): { alert: string; expr: string }[] {
  const rules: { alert: string; expr: string }[] = [];
  const lines = read('alerts.yml').split('\n');
  lines.forEach((line, i) => {
    const alert = line.match(/^\s+- alert: (\S+)/)?.[1];
    if (!alert) return;
    const exprLine = lines.slice(i + 1).find((l) => /^\s+expr:/.test(l))!;
    const start = lines.indexOf(exprLine, i);
    let expr = exprLine.replace(/^\s+expr:\s*/, '');
    if (expr === '>-') {
      const indent = lines[start + 1]!.search(/\S/);
      const body: string[] = [];
      for (const l of lines.slice(start + 1)) {
        if (l.trim() !== '' && l.search(/\S/) < indent) break;
        body.push(l.trim());
      }
      expr = body.join(' ');
    }
    rules.push({ alert, expr });
  });
  return rules;
}

const hasPromtool = binaryAvailable('promtool');

describe.skipIf(!hasPromtool)('ops pack: Prometheus files (promtool)', () => {
  it('prometheus.yml is a valid config, with its rule file and file_sd targets', () => {
    const { status, output } = promtool('check', 'config', 'prometheus.yml');
    expect(output).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
    expect(output).toContain('SUCCESS: 1 rule files found');
    expect(status, output).toBe(0);
  });

  it('alerts.yml passes promtool check rules', () => {
    const { status, output } = promtool('check', 'rules', 'alerts.yml');
    expect(output).toContain(`SUCCESS: ${alertRules().length} rules found`);
    expect(status, output).toBe(0);
  });

  it('alerts.test.yml passes: every alert fires on its input series and stays quiet on the others', () => {
    const { status, output } = promtool('test', 'rules', 'alerts.test.yml');
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });
});

describe('ops pack: Prometheus files', () => {
  it('has the alerts the issue asks for, each unit-tested firing and not firing', () => {
    const alerts = alertRules().map((r) => r.alert);
    for (const required of [
      'OutboxBacklogOld',
      'OutboxEventsParked',
      'HttpHighErrorRate',
      'HttpHighLatencyP99',
      'EventsDeadLettered',
    ]) {
      expect(alerts).toContain(required);
    }
    // Each alert_rule_test case: `alertname: X` followed by either `exp_alerts: []` or expected alerts.
    const cases = [...read('alerts.test.yml').matchAll(/alertname: (\S+)\n\s+exp_alerts:( \[\])?/g)];
    for (const alert of alerts) {
      const mine = cases.filter((c) => c[1] === alert);
      expect(
        mine.some((c) => c[2] === undefined),
        `${alert}: a case where it fires`,
      ).toBe(true);
      expect(
        mine.some((c) => c[2] !== undefined),
        `${alert}: a case where it does not fire`,
      ).toBe(true);
    }
  });

  it('alert expressions use only metrics listed in docs/metrics.md', () => {
    const documented = documentedMetrics();
    const used = new Set(alertRules().flatMap((r) => metricNames(r.expr)));
    expect([...used]).toEqual(
      expect.arrayContaining([
        'outbox_oldest_pending_age_seconds',
        'http_request_duration_seconds_bucket',
        'up',
      ]),
    );
    for (const { alert, expr } of alertRules()) {
      const unknown = metricNames(expr).filter((m) => !documented.has(m));
      expect(unknown, `${alert}: ${expr}`).toEqual([]);
    }
  });

  it('targets/shop.json lists every service of outrig.json (regenerate with generate-targets.ts)', () => {
    expect(read('targets/shop.json'), 'run: node examples/shop/ops/prometheus/generate-targets.ts').toBe(
      renderTargets(scrapeTargets()),
    );
  });
});
