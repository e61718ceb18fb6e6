/**
 * Secret redaction: detect and mask secrets in argv, env and free text before anything leaves
 * the exec client, with a salted hash per secret so an auditor can confirm a suspected value.
 * Pure functions (no I/O; randomness only for salts). Design: docs/redaction.md.
 */
export type { PolicyPattern, Redacted, RedactOptions, SecretFinding } from './types.js';
export { redactArgv, redactEnv, redactText } from './redact.js';
export { redactDeep } from './deep.js';
export { confirmSecret } from './hash.js';
export { compilePatterns } from './rules.js';
export { isSecretName } from './names.js';
export { MAX_SCAN } from './detect.js';
