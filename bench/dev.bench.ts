// `outrig dev` benchmark on the shop: how long from `outrig dev` until every service answers
// /health (ready_ms, the median of the warm starts — the first of --rounds starts initialises the
// data folder, applies the migrations and fills Node's compile cache: cold_ready_ms), and from saving
// a changed handler until the first request that sees the change (reload_ms, the median of
// --reloads edits of inventory-service's error messages, 3 s apart and 3 s after the start, as a
// person saves; `outrig dev` reloads from a warm standby process it keeps per service). The same
// edits in the first round, run with --no-standby, are the baseline: reload_no_standby_ms. On a
// copy of the shop in a temporary folder, on free ports; and `outrig new --no-install` (new_ms, the median of --rounds
// runs), with `node -e ''` measured in the same run as the baseline (node_start_ms: what one
// process start costs here). Targets on the development machine: ready ≤ 5 s, reload ≤ 1 s, new ≤ 2 s.
// Usage: npm run bench:dev -- [--rounds 3] [--reloads 3]   (--rounds: starts, at least 2)
// (--duration, --warmup, --connections and --logs are accepted, for `npm run bench`, and ignored.)

import { setTimeout as sleep } from 'node:timers/promises';
import { measureReload, SETTLE_MS, startDev } from './dev/dev-run.ts';
import { measureNew, measureNodeStart } from './dev/new-run.ts';
import { copyShop } from './dev/shop-copy.ts';
import { parseLoadArgs } from './lib/args.ts';
import { machineLine } from './lib/machine.ts';
import { median, printJsonLine } from './lib/report.ts';

const TARGETS = { readyMs: 5000, reloadMs: 1000, newMs: 2000 };

const args = parseLoadArgs(process.argv.slice(2), ['reloads']);
const rounds = Math.max(2, args.rounds);
const reloads = Math.max(1, Number(args.extra.reloads ?? 3));

console.log(`dev bench: ${machineLine()}`);
const shop = await copyShop();
const ready: number[] = [];
const reloadTimes: number[] = [];
const baselineTimes: number[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const standby = round > 1;
    const dev = await startDev(shop.dir, standby ? [] : ['--no-standby']);
    try {
      ready.push(dev.readyMs);
      console.log(`round ${round}: every service answered /health after ${dev.readyMs} ms`);
      if (round === 1 || round === rounds) {
        await sleep(SETTLE_MS); // a person's first save comes seconds after the start
        for (let i = 1; i <= reloads; i++) {
          const ms = await measureReload(dev, shop.dir, i);
          (standby ? reloadTimes : baselineTimes).push(ms);
          const how = standby ? '' : ' (--no-standby)';
          console.log(`reload ${i}${how}: the first request saw the change ${ms} ms after the save`);
        }
      }
    } finally {
      await dev.stop();
    }
  }
} finally {
  await shop.remove();
}
const newTimes: number[] = [];
const nodeStarts: number[] = [];
for (let round = 1; round <= rounds; round++) {
  nodeStarts.push(await measureNodeStart());
  newTimes.push(await measureNew());
  console.log(`outrig new ${round}: ${newTimes.at(-1)} ms (node -e '': ${nodeStarts.at(-1)} ms)`);
}
const newMs = median(newTimes);
const nodeStartMs = median(nodeStarts);

const result: Record<string, unknown> = {
  bench: 'dev',
  ready_ms: median(ready.slice(1)),
  reload_ms: median(reloadTimes),
  reload_no_standby_ms: median(baselineTimes),
  reload_ratio_to_no_standby: Math.round((median(reloadTimes) / median(baselineTimes)) * 100) / 100,
  cold_ready_ms: ready[0],
  new_ms: newMs,
  node_start_ms: nodeStartMs,
  new_ratio_to_node_start: Math.round((newMs / nodeStartMs) * 100) / 100,
  targets: { ready_ms: TARGETS.readyMs, reload_ms: TARGETS.reloadMs, new_ms: TARGETS.newMs },
};
printJsonLine(result);
