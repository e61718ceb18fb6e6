// Bundle the CLI into dist/ so `guard exec` loads one file instead of resolving hundreds of modules.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { guard: 'src/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true, // lazily imported commands become their own chunks
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  jsx: 'automatic',
  define: { __GUARD_VERSION__: JSON.stringify(pkg.version) },
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
  ],
  logLevel: 'warning',
});
