// Bundle the CLI into dist/ so `guard exec` loads a few files instead of resolving hundreds of modules.
import { build } from 'esbuild';
import { renameSync, rmSync } from 'node:fs';
import { bundleOptions } from './bundle-options.mjs';
import { buildNative } from './build-native.mjs';

// Build into a fresh directory and swap it in, so a failed build never leaves dist/ missing.
const out = new URL(`../dist.tmp-${process.pid}/`, import.meta.url);
rmSync(out, { recursive: true, force: true });

await build({ ...bundleOptions, outdir: out.pathname }).catch((err) => {
  rmSync(out, { recursive: true, force: true });
  throw err;
});
try {
  buildNative(out.pathname);
} catch (err) {
  rmSync(out, { recursive: true, force: true });
  throw err;
}
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
renameSync(out, new URL('../dist', import.meta.url));
