/**
 * Writes `targets/shop.json` (Prometheus file_sd) from examples/shop/outrig.json.
 * Run: `node examples/shop/ops/prometheus/generate-targets.ts` (Prometheus picks the change up
 * without a restart). A test fails while the file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderTargets, scrapeTargets } from './targets.ts';

const file = fileURLToPath(new URL('targets/shop.json', import.meta.url));
const groups = scrapeTargets();
writeFileSync(file, renderTargets(groups));
console.log(`wrote ${groups.length} target groups to ${file}`);
