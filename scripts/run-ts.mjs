// Run a TypeScript entry (benchmarks, corpus tools) without a separate TS runtime:
// bundle it with esbuild into a temporary file next to node_modules, then import it.
// Usage: node scripts/run-ts.mjs bench/run.ts [args...]
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(64);
}
// inside the project so that bare imports resolve from its node_modules
mkdirSync(resolve('node_modules/.cache'), { recursive: true });
const dir = mkdtempSync(join(resolve('node_modules/.cache'), 'run-ts-'));
const out = join(dir, 'entry.mjs');
await build({
  entryPoints: [resolve(entry)],
  outfile: out,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  jsx: 'automatic',
  packages: 'external',
  logLevel: 'warning',
});
process.argv = [process.argv[0], resolve(entry), ...rest];
try {
  await import(pathToFileURL(out).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
