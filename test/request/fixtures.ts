/** Plain values for the request core's unit tests: a request, approvers with real keys, a clock. */
import type { DecisionAction } from '../../src/approval/types.js';
import type { ApprovalSettings } from '../../src/policy/types.js';
import type { StoredRequest } from '../../src/request/state.js';
import type { Ballot } from '../../src/request/vote.js';
import { makeApprover, requester, settings, type TestApprover } from '../approval/helpers.js';

export const FP = 'a'.repeat(64);
export const CREATED = '2026-03-01T12:00:00.000Z';
export const EXPIRES = '2026-03-01T12:10:00.000Z';
export const t = (iso: string): Date => new Date(iso);
/** A moment while the request is open. */
export const NOW = t('2026-03-01T12:01:00.000Z');

export const alice = makeApprover('alice', ['sre'], { email: 'Alice@Example.com', slackUserId: 'U0ALICE' });
export const bob = makeApprover('bob', ['sre'], { email: 'bob@example.com' });
export const carol = makeApprover('carol', ['dba'], { osUser: 'carol' });
export const approvers = [alice.record, bob.record, carol.record];

export function request(over: Partial<ApprovalSettings> = {}, extra: Partial<StoredRequest> = {}): StoredRequest {
  return {
    id: 'rq-1',
    state: 'pending',
    fingerprint: FP,
    createdAt: CREATED,
    expiresAt: EXPIRES,
    detached: false,
    view: {
      id: 'rq-1',
      state: 'pending',
      command: 'rm -rf build',
      argv: ['rm', '-rf', 'build'],
      cwd: '/work',
      risk: 'high',
      requester,
      rules: [],
      commands: ['rm -rf build'],
      context: {},
      createdAt: CREATED,
      expiresAt: EXPIRES,
      quorum: over.quorum ?? 1,
      approvals: [],
    },
    settings: settings(over),
    requester,
    votes: [],
    policyDigest: 'd'.repeat(16),
    updatedAt: CREATED,
    ...extra,
  };
}

/** A ballot signed with the approver's real key. */
export function signed(
  who: TestApprover,
  action: DecisionAction,
  extra: { reason?: string; question?: string; at?: string; requestId?: string } = {},
): Ballot {
  return {
    via: 'signed',
    channel: 'cli',
    signed: who.key.sign({
      v: 1,
      requestId: extra.requestId ?? 'rq-1',
      fingerprint: FP,
      action,
      at: extra.at ?? NOW.toISOString(),
      approver: who.record.name,
      ...(extra.reason === undefined ? {} : { reason: extra.reason }),
      ...(extra.question === undefined ? {} : { question: extra.question }),
    }),
  };
}

/** A ballot from a channel, with the identity the channel verified. */
export function fromChannel(
  channel: string,
  id: string,
  action: DecisionAction,
  extra: { reason?: string; question?: string } = {},
): Ballot {
  return { via: 'channel', decision: { requestId: 'rq-1', action, identity: { channel, id }, ...extra } };
}
