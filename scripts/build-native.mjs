// Build the native `guard exec` client (native/, Rust, standard library only) into `outDir` when a
// Rust toolchain is present. Without one the Node client is used (bin/guard), and this says so.
// GUARD_NO_NATIVE=1 skips the native build (to exercise the Node-only installation).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** cargo from PATH, else rustup's default place (~/.cargo/bin, or $CARGO_HOME/bin). */
export function findCargo(env = process.env) {
  const onPath = spawnSync('cargo', ['--version'], { stdio: 'ignore', env });
  if (onPath.status === 0) return 'cargo';
  const home = env.CARGO_HOME || join(env.HOME || homedir(), '.cargo');
  const candidate = join(home, 'bin', 'cargo');
  return existsSync(candidate) ? candidate : undefined;
}

/** Returns the built binary's path in outDir, or undefined when no toolchain is present. */
export function buildNative(outDir) {
  if (process.env.GUARD_NO_NATIVE === '1') {
    process.stderr.write('build: GUARD_NO_NATIVE=1: native exec client not built; the Node client is used\n');
    return undefined;
  }
  const cargo = findCargo();
  if (cargo === undefined) {
    process.stderr.write(
      'build: no Rust toolchain (cargo) found: native exec client not built; the Node client is used\n',
    );
    return undefined;
  }
  const manifest = join(root, 'native', 'Cargo.toml');
  const r = spawnSync(cargo, ['build', '--release', '--quiet', '--manifest-path', manifest], { stdio: 'inherit' });
  // a toolchain that fails on this source is a bug to fix, not a reason to ship without the client
  if (r.status !== 0) throw new Error(`cargo build of the native exec client failed (status ${r.status})`);
  const out = join(outDir, 'guard-native');
  copyFileSync(join(root, 'native', 'target', 'release', 'guard-native'), out);
  return out;
}
