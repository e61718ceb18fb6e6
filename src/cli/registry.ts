/**
 * Every top-level command, in help order. Spec modules are tiny: they declare options and load
 * their implementation lazily.
 */
import type { CommandSpec } from './command.js';
import { execSpec } from './specs/exec.js';
import { daemonSpec } from './specs/daemon.js';
import { requestsSpec, showSpec } from './specs/requests.js';
import { decideSpecs } from './specs/decide.js';
import { approverSpec } from './specs/approver.js';
import { ledgerSpec } from './specs/ledger.js';
import { evidenceSpec } from './specs/evidence.js';
import { hookSpec } from './specs/hook.js';
import { shellSpec } from './specs/shell.js';
import { initSpec } from './specs/init.js';
import { doctorSpec } from './specs/doctor.js';
import { tuiSpec } from './specs/tui.js';
import { checkSpec, policySpec } from './specs/policy.js';
import { versionSpec } from './specs/version.js';
import { credentialSpec } from './specs/credential.js';
import { hubSpec } from './specs/hub.js';
import { completionSpec, manSpec } from './specs/generate.js';

export const commands: CommandSpec[] = [
  execSpec,
  ...decideSpecs,
  tuiSpec,
  requestsSpec,
  showSpec,
  daemonSpec,
  approverSpec,
  credentialSpec,
  ledgerSpec,
  evidenceSpec,
  hookSpec,
  shellSpec,
  initSpec,
  doctorSpec,
  checkSpec,
  policySpec,
  versionSpec,
  hubSpec,
  completionSpec,
  manSpec,
];
