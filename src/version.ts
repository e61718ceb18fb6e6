/** Replaced at build time by esbuild's `define`; the fallback serves tests run from source. */
declare const __GUARD_VERSION__: string | undefined;
export const VERSION: string = typeof __GUARD_VERSION__ === 'string' ? __GUARD_VERSION__ : '0.0.0-dev';

declare const __GUARD_BUILD__: string | undefined;
/**
 * A digest of the bundled sources and locked dependencies (set by the build); undefined when
 * running from source, where caches keyed by it are off.
 */
export const BUILD_ID: string | undefined = typeof __GUARD_BUILD__ === 'string' ? __GUARD_BUILD__ : undefined;
