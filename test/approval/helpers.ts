import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  createApproverKey,
  publicKeyFingerprint,
  unlockApproverKey,
  type ApproverKey,
  type ApproverRecord,
  type ScryptCost,
} from '../../src/approval/index.js';
import type { ApprovalSettings, Requester } from '../../src/policy/types.js';

/** Real scrypt at the lowest cost a key file may claim: keeps unit tests quick. */
export const FAST: ScryptCost = { N: 2 ** 14, r: 8, p: 1 };

export interface TestApprover {
  key: ApproverKey;
  record: ApproverRecord;
}

export function makeApprover(
  name: string,
  groups: string[] = ['sre'],
  extra: Partial<ApproverRecord> = {},
): TestApprover {
  const pass = Buffer.from(`passphrase of ${name}`);
  const created = createApproverKey(pass, FAST);
  const key = unlockApproverKey(created.encrypted, pass);
  return {
    key,
    record: {
      name,
      groups,
      publicKey: created.publicKey,
      fingerprint: publicKeyFingerprint(created.publicKey),
      enrolledAt: '2026-01-01T00:00:00.000Z',
      ...extra,
    },
  };
}

export function settings(over: Partial<ApprovalSettings> = {}): ApprovalSettings {
  return {
    groups: [],
    quorum: 1,
    grantTtlSeconds: 600,
    grantUses: 1,
    timeoutSeconds: 3600,
    fourEyes: false,
    channels: [],
    ...over,
  };
}

export const requester: Requester = { user: 'agentuser', agent: 'claude-code', host: 'box', onBehalfOf: 'carol' };

/** A fresh temp dir per test, removed afterwards. */
export function tempDirs(): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), 'guard-approval-'));
    made.push(d);
    return d;
  };
}
