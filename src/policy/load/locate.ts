import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shipped `policies/` directory: walk up from this module (src/policy/… when run from source,
 * dist/chunk-*.js in the bundle) to the directory holding package.json and policies/.
 */
export function shippedPolicyDir(from: string = import.meta.url): string | undefined {
  let dir = dirname(fileURLToPath(from));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'policies'))) return join(dir, 'policies');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}
