// Bundle the CLI into dist/ so `guard exec` loads one file instead of resolving hundreds of modules.
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// Build into a fresh directory and swap it in, so a failed build never leaves dist/ missing.
const out = new URL(`../dist.tmp-${process.pid}/`, import.meta.url);
rmSync(out, { recursive: true, force: true });

await build({
  entryPoints: { guard: 'src/main.ts' },
  outdir: out.pathname,
  bundle: true,
  splitting: true, // lazily imported commands become their own chunks
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  jsx: 'automatic',
  // React (Ink) in production mode: development mode doubles the cost of every TUI update.
  define: { __GUARD_VERSION__: JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' },
  banner: {
    // some bundled CommonJS dependencies call require(); give them one
    js: "import { createRequire as __guardCreateRequire } from 'node:module'; const require = __guardCreateRequire(import.meta.url);",
  },
  external: [
    // Native addons: a .node binary cannot be bundled; they are loaded from node_modules.
    'better-sqlite3',
    '@napi-rs/keyring',
    // Loads its .wasm file relative to its own module; bundling would break that lookup.
    'web-tree-sitter',
    // Optional native speed-ups of ws (pulled in by the Slack client); absent is fine.
    'bufferutil',
    'utf-8-validate',
    // Ink imports React DevTools only when DEV=true; it is not installed and must not be bundled.
    'react-devtools-core',
  ],
  logLevel: 'warning',
}).catch((err) => {
  rmSync(out, { recursive: true, force: true });
  throw err;
});
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
renameSync(out, new URL('../dist', import.meta.url));
