import { existsSync } from 'node:fs';

/** The e2e tests drive the built CLI; fail early with a clear message when it is missing. */
export default function setup(): void {
  if (!existsSync(new URL('../dist/guard.js', import.meta.url))) {
    throw new Error('dist/guard.js is missing: run `npm run build` (npm test does this first)');
  }
}
