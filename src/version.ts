/** Replaced at build time by esbuild's `define`; the fallback serves tests run from source. */
declare const __GUARD_VERSION__: string | undefined;
export const VERSION: string = typeof __GUARD_VERSION__ === 'string' ? __GUARD_VERSION__ : '0.0.0-dev';
