import { access, constants } from 'node:fs/promises';
import path from 'node:path';

/** The first executable file called `name` on `pathVariable` (a PATH value), or undefined. */
export async function findExecutable(
  name: string,
  pathVariable: string | undefined,
): Promise<string | undefined> {
  for (const dir of (pathVariable ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}
