// Bundle the CLI into dist/ so `guard exec` loads a few files instead of resolving hundreds of modules.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
// The peer-credential addon (native/peercred.c, Node-API, no dependencies). A machine without a C
// compiler still gets a working build; a hardened daemon (group-shared socket) then refuses to start.
const include = join(dirname(dirname(process.execPath)), 'include', 'node');
const cc = spawnSync(
  process.env.CC ?? 'cc',
  ['-shared', '-fPIC', '-O2', '-Wall', `-I${include}`, 'native/peercred.c', '-o', join(out.pathname, 'peercred.node')],
  { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' },
);
if (cc.status !== 0)
  console.warn(
    `build: the peer-credential addon was not built (${cc.error?.message ?? cc.stderr.trim()}); ` +
      'a daemon sharing its socket with a group (hardened mode) will refuse to start',
  );

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
renameSync(out, new URL('../dist', import.meta.url));
