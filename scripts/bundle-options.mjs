// The esbuild options of guard's bundle, shared by scripts/build.mjs and the test that checks
// what the exec path loads (test/daemon/thin-client.test.ts), so that the test sees the real build.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/**
 * Identifies the code that judges commands: every source file and the locked dependency versions
 * (the shell grammar among them). The policy example cache is keyed by it, so a verdict recorded
 * by one build is never reused by another.
 */
function buildId() {
  const h = createHash('sha256');
  const root = new URL('../', import.meta.url);
  const files = readdirSync(new URL('src/', root), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => `${d.parentPath ?? d.path}/${d.name}`)
    .sort();
  for (const f of [...files, new URL('package-lock.json', root).pathname]) {
    h.update(f.slice(root.pathname.length)).update('\0');
    h.update(readFileSync(f)).update('\0');
  }
  return h.digest('hex').slice(0, 32);
}

/**
 * zod re-exports all of its ~50 message locales as \`z.locales\`, and guard's \`import { z }\` keeps
 * that namespace whole: 366 KB of code the daemon parsed at every start. guard uses only the English
 * messages zod configures itself (from locales/en.js), so the locale index is bundled as English
 * alone (decision 0040).
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[/\\]zod[/\\]v4[/\\](core|classic)[/\\]/.test(args.importer)
        ? { path: 'zod-locales-en', namespace: 'zod-locales', pluginData: args.resolveDir }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';",
      resolveDir: args.pluginData,
      loader: 'js',
    }));
  },
};

/** @type {import('esbuild').BuildOptions} */
export const bundleOptions = {
  // the judge worker (src/daemon/judge-pool.ts) is its own entry: a worker thread loads a file
  // so is the preview runner (src/preview/runner-entry.ts): the executor starts it as its runner user
  entryPoints: {
    guard: 'src/main.ts',
    'judge-worker': 'src/policy/judge-worker.ts',
    'preview-runner': 'src/preview/runner-entry.ts',
    // loads the daemon's own bundle (below) with its code cache (decision 0043)
    'daemon-boot': 'src/boot/daemon-bundle.ts',
  },
  bundle: true,
  splitting: true, // lazily imported commands become their own chunks
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  jsx: 'automatic',
  // React (Ink) in production mode: development mode doubles the cost of every TUI update.
  define: {
    __GUARD_VERSION__: JSON.stringify(pkg.version),
    __GUARD_BUILD__: JSON.stringify(buildId()),
    'process.env.NODE_ENV': '"production"',
  },
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
  plugins: [zodEnglishOnly],
  logLevel: 'warning',
};

/**
 * The daemon process's own bundle (decision 0043): one CommonJS file, loaded with a V8 code cache
 * (src/boot/daemon-bundle.ts). Strict mode as the ES modules it is made from; `import.meta.url`
 * is the file's own URL (it lives in dist/ beside the chunks, so relative lookups are unchanged);
 * no comments or indentation (less to read and keep); the Slack and PostgreSQL clients, which a
 * start never needs, stay in node_modules and are required when first used (CommonJS packages).
 * scripts/build.mjs prepends the stamp.
 * @type {import('esbuild').BuildOptions}
 */
export const daemonBundleOptions = {
  ...bundleOptions,
  entryPoints: ['src/daemon-entry.ts'],
  splitting: false,
  format: 'cjs',
  minifyWhitespace: true,
  legalComments: 'none',
  charset: 'ascii',
  define: { ...bundleOptions.define, 'import.meta.url': '__guardModuleUrl' },
  banner: { js: '"use strict";const __guardModuleUrl=require("node:url").pathToFileURL(__filename).href;' },
  external: [...bundleOptions.external, '@slack/web-api', '@slack/socket-mode', 'pg'],
};
