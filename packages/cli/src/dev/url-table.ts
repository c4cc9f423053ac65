import type { System } from '../system/system-file.ts';

/** What the table needs of a running service. */
export interface TableRow {
  readonly service: { readonly name: string; readonly kind: string };
  readonly pid: number;
  readonly url: string;
}

/** The table `outrig dev` prints once every service answers /health. */
export function urlTable(system: System, rows: readonly TableRow[], dashboard?: string): string {
  const width = Math.max(20, ...rows.map((r) => r.service.name.length));
  const lines = [`\n${system.name} is running:`, ''];
  lines.push(`  ${'service'.padEnd(width)} ${'pid'.padEnd(8)} ${'url'.padEnd(26)} docs, metrics`);
  for (const r of rows) {
    lines.push(
      `  ${r.service.name.padEnd(width)} ${String(r.pid).padEnd(8)} ${r.url.padEnd(26)} ${r.url}/docs  ${r.url}/metrics`,
    );
  }
  const gateway = rows.find((r) => r.service.kind === 'gateway');
  if (gateway) lines.push('', `The whole API is reachable through the gateway: ${gateway.url}/api/…`);
  if (dashboard) lines.push('', `Dashboard (logs, traces, events, API explorer): ${dashboard}`);
  lines.push('', 'Press Ctrl-C to stop. A service restarts when its files change, or after it exits.', '');
  return `${lines.join('\n')}\n`;
}
