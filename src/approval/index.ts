/**
 * The approval core: approver keys, signed decisions, quorum, grants, request fingerprints and the
 * approver registry. Pure functions except the key/registry file helpers; no module state.
 */
export * from './types.js';
export {
  createApproverKey,
  unlockApproverKey,
  WrongPassphraseError,
  DEFAULT_SCRYPT,
  type ApproverKey,
  type ScryptCost,
} from './keys.js';
export { approverHome, approverKeyPath, newApproverKeyPath, writeKeyFile, readKeyFile } from './keyfile.js';
export { readPassphrase, type PassphraseOptions } from './passphrase.js';
export {
  verifyDecision,
  checkDecision,
  DEFAULT_MAX_SKEW_SECONDS,
  type DecisionCheck,
  type DecisionRefusal,
} from './decision.js';
export { evaluateQuorum, eligibility } from './quorum.js';
export { requestFingerprint, type FingerprintInput } from './fingerprint.js';
export { grantUsable, makeGrant, consumeGrant, revokeGrant, type Grant, type GrantRefusal } from './grants.js';
export {
  loadApprovers,
  loadApproverRegistry,
  saveApprover,
  registerApprover,
  removeApproverRecord,
  removeApprover,
  changeApprover,
} from './registry.js';
export { signUpdate, signRotate, approverFields, keyHistory } from './changes.js';
export {
  signEndorsement,
  checkEndorsement,
  endorsementCovers,
  ENDORSEMENT_MAX_AGE_SECONDS,
  type Candidate,
} from './endorsement.js';
export { publicKeyFingerprint } from './encoding.js';
export { decisionStatement } from './statement.js';
export { approverRecordSchema, signedDecisionSchema, endorsementSchema, APPROVER_NAME } from './schema.js';
export { agentMarker, AGENT_ENV_VARS, refuseUnderAgent } from './agent-env.js';
