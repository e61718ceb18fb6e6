/** What scripts/build.mjs needs to write the shipped policy snapshots (see shipped.ts). */
export { snapshotYaml } from './yamlpos.js';
export { textDigest } from './shipped.js';
