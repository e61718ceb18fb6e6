// The esbuild options of guard's bundle, shared by scripts/build.mjs and the test that checks
// what the exec path loads (test/daemon/thin-client.test.ts), so that the test sees the real build.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** @type {import('esbuild').BuildOptions} */
export const bundleOptions = {
  entryPoints: { guard: 'src/main.ts' },
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
};
