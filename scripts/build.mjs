// Bundle the CLI into dist/ so `guard exec` loads a few files instead of resolving hundreds of modules.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { bundleOptions, daemonBundleOptions } from './bundle-options.mjs';
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
await writePolicySnapshots(out);
await writeDaemonBundle(out);
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
renameSync(out, new URL('../dist', import.meta.url));
writeDaemonCodeCache(new URL('../dist/', import.meta.url));

/**
 * Parse the shipped policy files once, here, with the code guard runs (src/policy/load/yamlpos.ts), and
 * store the results by the SHA-256 of each text (src/policy/load/shipped.ts reads them).
 */
async function writePolicySnapshots(dir) {
  // bundled beside the output (inside the project, so nothing outside it is touched), then imported
  const helper = new URL('policy-snapshots.tmp.mjs', dir);
  await build({
    entryPoints: [new URL('../src/policy/load/shipped-build.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'node',
    banner: bundleOptions.banner,
    outfile: helper.pathname,
    logLevel: 'warning',
  });
  const { snapshotPolicy, textDigest } = await import(helper.href).finally(() => rmSync(helper, { force: true }));
  const policies = new URL('../policies/', import.meta.url);
  const out = {};
  for (const name of readdirSync(policies)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    const text = readFileSync(new URL(name, policies), 'utf8');
    const snap = snapshotPolicy(text);
    if (snap !== undefined) out[textDigest(text)] = snap;
  }
  writeFileSync(new URL('policy-snapshots.json', dir), JSON.stringify(out));
}

/**
 * The daemon's own bundle (decision 0043, src/boot/daemon-bundle.ts): one ASCII CommonJS file
 * stamped with the SHA-256 of its text.
 */
async function writeDaemonBundle(dir) {
  const result = await build({ ...daemonBundleOptions, outfile: new URL('daemon.cjs', dir).pathname, write: false });
  const js = result.outputFiles.find((f) => f.path.endsWith('.cjs'));
  for (const f of result.outputFiles) if (f !== js) writeFileSync(f.path, f.contents);
  const nonAscii = js.contents.findIndex((b) => b > 0x7f);
  if (nonAscii !== -1) throw new Error(`build: dist/daemon.cjs has a non-ASCII byte at offset ${nonAscii}`);
  const stamp = `/*guard-bundle ${createHash('sha256').update(js.contents).digest('hex')}*/`;
  writeFileSync(js.path, Buffer.concat([Buffer.from(stamp), js.contents]));
}

/**
 * Its V8 code cache, made in dist/ itself (the cache is tied to the bundle's path) by a fresh Node
 * process without NODE_OPTIONS (it must be made under a daemon's V8 flags). A machine where it
 * cannot be made still gets a working build: the bundle then compiles from source.
 */
function writeDaemonCodeCache(dir) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const boot = new URL('daemon-boot.js', dir).href;
  const made = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(boot)}); m.writeCodeCache(${JSON.stringify(fileURLToPath(dir))});`,
    ],
    { env, encoding: 'utf8' },
  );
  if (made.status !== 0)
    console.warn(
      `build: the daemon's code cache was not made (${made.error?.message ?? made.stderr.trim()}); it compiles from source`,
    );
}
