// `outrig dev` benchmark on the shop: how long from `outrig dev` until every service answers
// /health (ready_ms, the median of the warm starts — the first of --rounds starts initialises the
// data folder, applies the migrations and fills Node's compile cache: cold_ready_ms), and from saving
// a changed handler until the first request that sees the change (reload_ms, the median of
// --reloads edits of inventory-service's error messages). Runs on a copy of the shop in a
// temporary folder, on free ports. Targets on the development machine: ready ≤ 5 s, reload ≤ 1 s.
// Usage: npm run bench:dev -- [--rounds 3] [--reloads 3]   (--rounds: starts, at least 2)
// (--duration, --warmup, --connections and --logs are accepted, for `npm run bench`, and ignored.)

import { measureReload, startDev } from './dev/dev-run.ts';
import { copyShop } from './dev/shop-copy.ts';
import { parseLoadArgs } from './lib/args.ts';
import { machineLine } from './lib/machine.ts';
import { median, printJsonLine } from './lib/report.ts';

const TARGETS = { readyMs: 5000, reloadMs: 1000 };

const args = parseLoadArgs(process.argv.slice(2), ['reloads']);
const rounds = Math.max(2, args.rounds);
const reloads = Math.max(1, Number(args.extra.reloads ?? 3));

console.log(`dev bench: ${machineLine()}`);
const shop = await copyShop();
const ready: number[] = [];
const reloadTimes: number[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const dev = await startDev(shop.dir);
    try {
      ready.push(dev.readyMs);
      console.log(`round ${round}: every service answered /health after ${dev.readyMs} ms`);
      if (round === rounds) {
        for (let i = 1; i <= reloads; i++) {
          const ms = await measureReload(dev, shop.dir, i);
          reloadTimes.push(ms);
          console.log(`reload ${i}: the first request saw the change ${ms} ms after the save`);
        }
      }
    } finally {
      await dev.stop();
    }
  }
} finally {
  await shop.remove();
}

const result: Record<string, unknown> = {
  bench: 'dev',
  ready_ms: median(ready.slice(1)),
  reload_ms: median(reloadTimes),
  cold_ready_ms: ready[0],
  // new_ms: `outrig new --no-install` — added with that command.
  targets: { ready_ms: TARGETS.readyMs, reload_ms: TARGETS.reloadMs },
};
printJsonLine(result);
