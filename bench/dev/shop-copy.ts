import { chmod, cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(import.meta.dirname, '..', '..');

/**
 * A copy of examples/shop in a temporary folder (its services and outrig.json; not its tests,
 * ops or local state) whose node_modules is the repository's: the bench edits a handler there,
 * never in the checkout.
 */
export async function copyShop(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'outrig-bench-dev-'));
  await chmod(dir, 0o755); // as root the embedded server runs as `postgres`: it must get through
  const shop = path.join(ROOT, 'examples', 'shop');
  await cp(path.join(shop, 'outrig.json'), path.join(dir, 'outrig.json'));
  await cp(path.join(shop, 'services'), path.join(dir, 'services'), {
    recursive: true,
    filter: (src) => !/[\\/](node_modules|\.outrig|test)([\\/]|$)/.test(path.relative(shop, src)),
  });
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
