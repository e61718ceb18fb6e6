#!/usr/bin/env node
// Thin shim: refuse unsupported Node versions with a clear message, then load the bundle.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 11)) {
  process.stderr.write(
    `guard: Node.js ${process.versions.node} is not supported; guard needs Node.js 20.11 or newer.\n`,
  );
  process.exit(70);
}
// Node 22.1+ can keep compiled code between runs; guard starts before every agent command. Only
// in a directory of guard's own for this user (GUARD_HOME/cache/node): Node's default, a shared
// temporary directory, would let another user plant compiled code that guard then runs — the
// daemon of the enforced mode included (decision 0044).
const { enableCompileCache } = await import('node:module');
if (enableCompileCache !== undefined) {
  try {
    const dir = await ownCacheDir();
    if (dir !== undefined) enableCompileCache(dir);
  } catch {
    // a cache that cannot be used only costs speed
  }
}
// The daemon process loads its own bundle with a V8 code cache (decision 0043); when there is
// none, or the arguments are not the form it runs, the CLI below handles them as before.
if (process.argv[2] === 'daemon' && process.argv[3] === 'start' && process.argv.includes('--foreground')) {
  const boot = await import('../dist/daemon-boot.js').catch(() => undefined);
  const { fileURLToPath } = await import('node:url');
  await boot?.runDaemonBundle(fileURLToPath(new URL('../dist/', import.meta.url)), process.argv.slice(2));
}
const { main } = await import('../dist/guard.js').catch((err) => {
  process.stderr.write(
    `guard: the built CLI is missing (${err.code ?? err.message}); run \`npm run build\` in the guard checkout.\n`,
  );
  process.exit(70);
});
await main(process.argv.slice(2));

/**
 * GUARD_HOME/cache/node (GUARD_HOME as src/config/paths.ts resolves it), created if missing, when
 * it and every directory above it up to GUARD_HOME are real directories (no symbolic link) owned by
 * this user and writable by no one else; undefined otherwise.
 */
async function ownCacheDir() {
  const { lstatSync, mkdirSync } = await import('node:fs');
  const { homedir } = await import('node:os');
  const { isAbsolute, join } = await import('node:path');
  const env = process.env;
  const home = env.GUARD_HOME || join(env.XDG_STATE_HOME || join(env.HOME ?? homedir(), '.local', 'state'), 'guard');
  if (!isAbsolute(home)) return undefined;
  const dir = join(home, 'cache', 'node');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const d of [home, join(home, 'cache'), dir]) {
    const s = lstatSync(d);
    if (!s.isDirectory() || s.uid !== process.getuid() || (s.mode & 0o022) !== 0) return undefined;
  }
  return dir;
}
