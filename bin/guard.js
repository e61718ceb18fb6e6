#!/usr/bin/env node
// Thin shim: refuse unsupported Node versions with a clear message, then load the bundle.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 11)) {
  process.stderr.write(
    `guard: Node.js ${process.versions.node} is not supported; guard needs Node.js 20.11 or newer.\n`,
  );
  process.exit(70);
}
// Node 22.1+ can keep compiled code between runs; guard starts before every agent command.
const { enableCompileCache } = await import('node:module');
try {
  enableCompileCache?.();
} catch {
  // a cache that cannot be used only costs speed
}
const { main } = await import('../dist/guard.js').catch((err) => {
  process.stderr.write(
    `guard: the built CLI is missing (${err.code ?? err.message}); run \`npm run build\` in the guard checkout.\n`,
  );
  process.exit(70);
});
await main(process.argv.slice(2));
