export interface Suite {
  name: string;
  run(): Promise<void>;
}

import { startupSuite } from './startup.js';
import { throughputSuite } from './throughput.js';
import { ledgerSuite } from './ledger.js';
import { redactSuite } from './redact.js';
import { approvalSuite } from './approval.js';
import { policySuite } from './policy.js';
import { dcgSuite } from './dcg.js';
import { daemonSuite } from './daemon.js';
import { integrationsSuite } from './integrations.js';
import { channelsSuite } from './channels.js';
import { tuiSuite } from './tui.js';
import { evidenceSuite } from './evidence.js';
import { enforcedSuite } from './enforced.js';
import { hubSuite } from './hub.js';
import { flatSuite } from './flat.js';

export const suites: Suite[] = [
  startupSuite,
  throughputSuite,
  ledgerSuite,
  redactSuite,
  approvalSuite,
  policySuite,
  dcgSuite,
  daemonSuite,
  flatSuite,
  integrationsSuite,
  channelsSuite,
  tuiSuite,
  evidenceSuite,
  enforcedSuite,
  hubSuite,
];
