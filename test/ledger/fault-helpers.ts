import { build } from 'esbuild';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Bundle the writer fixture next to node_modules so its native imports resolve. */
export async function buildWriter(): Promise<{ file: string; dir: string }> {
  mkdirSync(resolve('node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(resolve('node_modules/.cache'), 'ledger-writer-'));
  const file = join(dir, 'writer.mjs');
  await build({
    entryPoints: [resolve('test/ledger/fixtures/writer.ts')],
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return { file, dir };
}
