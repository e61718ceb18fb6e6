/**
 * One way in for every human decision. A ballot arrives signed with an approver key (cli, tui) or
 * from a channel with the identity the channel verified (Slack, Teams, webhook); `acceptVote`
 * authenticates it, checks that it may count, and turns it into a vote and its `approval` record.
 * Pure: approvers and the clock are arguments.
 */
import { grantRefusal, scopeFacts } from '../approval/scope.js';
import { checkDecision } from '../approval/decision.js';
import { eligibility } from '../approval/quorum.js';
import type { GrantRequest } from '../approval/scope.js';
import type { ApproverRecord, DecisionAction, SignedDecision, Vote } from '../approval/types.js';
import type { JsonValue } from '../ledger/types.js';
import { redactText } from '../redact/index.js';
import { refusal, Refused, type Refusal } from './refusal.js';
import { isOpen, type LedgerItem, type StoredRequest } from './state.js';

/** An identity as a channel verified it. */
export interface ChannelIdentity {
  channel: string;
  /** Slack user id, Entra e-mail, webhook key id. */
  id: string;
  display?: string | undefined;
  /** What vouched for `id`: 'slack:<team id>', 'webhook:<endpoint name>', 'teams:<flow host>'. */
  verifiedBy?: string | undefined;
}

/** A decision coming back from a channel, with the identity the channel verified. */
export interface ChannelDecision {
  requestId: string;
  action: DecisionAction;
  /** Identity as verified by the channel: Slack user id, Entra e-mail, webhook key id. */
  identity: ChannelIdentity;
  reason?: string | undefined;
  question?: string | undefined;
  /** Web page approvals of step-up rules: the fresh IdP login (checked by the daemon, not here). */
  stepUp?: { idToken: string; viewHash: string } | undefined;
  /**
   * The scoped grant the approver picked on the channel (src/channels/scope-choice.ts). The channel's
   * user is not trusted for it: checked against the rule's bounds exactly like a signed grant.
   */
  grant?: GrantRequest | undefined;
}

export type Ballot =
  | {
      via: 'signed';
      signed: SignedDecision;
      channel: 'cli' | 'tui' | 'hub';
      /** Checked by the caller and kept in the approval record (a step-up proof). */
      extra?: Record<string, JsonValue> | undefined;
    }
  | {
      via: 'channel';
      decision: ChannelDecision;
      /** Checked by the caller and kept in the approval record (a step-up proof). */
      extra?: Record<string, JsonValue> | undefined;
      /** Set when `identity:` is configured: Slack and Teams identities then count only through it. */
      subjects?: ChannelSubjects | undefined;
    };

/** The admin mapping of Slack user ids and Teams e-mails to IdP subjects of the configured issuer. */
export interface ChannelSubjects {
  issuer: string;
  slack: Record<string, string>;
  teams: Record<string, string>;
}

/** Which enrolled approver a channel identity is, and whether it matched an enrolled identity. */
export interface ChannelMatch {
  approver: ApproverRecord;
  /** True when the id matched the approver's Slack id or e-mail (not merely the name). */
  byIdentity: boolean;
  /** The IdP subject the admin mapping named (identity.channel_subjects). */
  subject?: string | undefined;
}

/**
 * Map a verified channel identity to an enrolled approver, ignoring case: the Slack user id or the
 * e-mail first; failing those, the approver's name, except on Slack (a Slack id is never a name).
 */
export function channelApprover(
  identity: ChannelIdentity,
  approvers: ApproverRecord[],
  subjects?: ChannelSubjects,
): ChannelMatch | undefined {
  const m = matchChannel(identity, approvers, subjects);
  return typeof m === 'string' ? undefined : m;
}

/**
 * With the admin mapping (identity configured), a Slack or Teams identity is the one approver
 * enrolled with the IdP subject it maps to; a string says why it is nobody (decision 1066).
 */
function matchChannel(
  identity: ChannelIdentity,
  approvers: ApproverRecord[],
  subjects: ChannelSubjects | undefined,
): ChannelMatch | string | undefined {
  if (identity.channel === HUB_WEB) return matchHubWeb(identity, approvers);
  if (subjects === undefined || (identity.channel !== 'slack' && identity.channel !== 'teams'))
    return matchEnrolled(identity, approvers);
  const id = identity.id.toLowerCase();
  const table = identity.channel === 'slack' ? subjects.slack : subjects.teams;
  const named = new Set(Object.entries(table).flatMap(([k, v]) => (k.toLowerCase() === id ? [v] : [])));
  const who = `${identity.channel} identity ${identity.display ?? identity.id}`;
  if (named.size !== 1)
    return named.size === 0
      ? `${who} is not mapped to an identity-provider subject (identity.channel_subjects.${identity.channel})`
      : `${who} is mapped to more than one identity-provider subject (identity.channel_subjects.${identity.channel})`;
  const subject = [...named][0]!;
  const found = approvers.filter((a) => a.idp?.subject === subject && a.idp.issuer === subjects.issuer);
  if (found.length === 1) return { approver: found[0]!, byIdentity: true, subject };
  return found.length === 0
    ? `${who} is mapped to IdP subject ${subject}, which no approver is enrolled with (approver enroll --idp)`
    : `${who} is mapped to IdP subject ${subject}, which ${found.length} approvers are enrolled with (ambiguous)`;
}

/** The channel of a decision made on the hub's web approval page (decision 1068). */
export const HUB_WEB = 'hub-web';

/**
 * A vote from the hub's web page names the IdP subject the hub's sign-in verified, and its issuer in
 * `verifiedBy` (`hub+idp:<issuer>`): it is the one approver enrolled here with that subject under
 * that issuer, and counts by subject like a mapped channel vote (decision 1067). Anyone else is refused.
 */
function matchHubWeb(identity: ChannelIdentity, approvers: ApproverRecord[]): ChannelMatch | string {
  const found = enrolledAs(identity, approvers, 'hub+idp:');
  if (found.length === 1) return { approver: found[0]!, byIdentity: true, subject: identity.id };
  const who = `IdP subject ${identity.id} (${identity.verifiedBy ?? 'no issuer named'}, signed in on the hub's web page)`;
  return found.length === 0
    ? `${who} is not the subject of an approver enrolled on this host (approver enroll --idp)`
    : `${who} is the subject of ${found.length} approvers enrolled on this host (ambiguous)`;
}

/** The approvers enrolled with the identity's IdP subject (exact, case kept), under the issuer its `verifiedBy` names after `prefix`. */
function enrolledAs(identity: ChannelIdentity, approvers: ApproverRecord[], prefix: string): ApproverRecord[] {
  return approvers.filter(
    (a) => a.idp !== undefined && a.idp.subject === identity.id && identity.verifiedBy === `${prefix}${a.idp.issuer}`,
  );
}

function matchEnrolled(identity: ChannelIdentity, approvers: ApproverRecord[]): ChannelMatch | undefined {
  // the web page: the IdP subject (exact, case kept) of exactly one approver enrolled with that issuer
  if (identity.channel === 'web') {
    const found = enrolledAs(identity, approvers, 'idp:');
    return found.length === 1 ? { approver: found[0]!, byIdentity: true } : undefined;
  }
  const id = identity.id.toLowerCase();
  const byIdentity = approvers.find((a) => a.slackUserId?.toLowerCase() === id || a.email?.toLowerCase() === id);
  if (byIdentity !== undefined) return { approver: byIdentity, byIdentity: true };
  if (identity.channel === 'slack') return undefined;
  const byName = approvers.find((a) => a.name.toLowerCase() === id);
  return byName === undefined ? undefined : { approver: byName, byIdentity: false };
}

/** An accepted vote and the `approval` record to write before it counts. */
export interface AcceptedVote {
  vote: Vote;
  record: LedgerItem;
}

const text = (s: string | undefined): string | undefined => (s === undefined ? undefined : redactText(s).value);

/**
 * Authenticate a ballot and check that it may count now. The order of the checks is the order of
 * the recorded refusal codes: a channel's identity first (it needs no request), then the request,
 * the signature, openness and the deadline, a replay, and eligibility (groups, four-eyes) of approvals.
 */
export function acceptVote(
  r: StoredRequest | undefined,
  ballot: Ballot,
  now: Date,
  approvers: ApproverRecord[],
): AcceptedVote | Refusal {
  const match =
    ballot.via === 'channel' ? matchChannel(ballot.decision.identity, approvers, ballot.subjects) : undefined;
  if (typeof match === 'string') return refusal(Refused.UnmappedIdentity, match);
  if (ballot.via === 'channel' && match === undefined) {
    const who = ballot.decision.identity;
    return refusal(Refused.UnknownApprover, `${who.display ?? who.id} is not an enrolled approver`);
  }
  const requestId = ballot.via === 'signed' ? ballot.signed.requestId : ballot.decision.requestId;
  if (r === undefined) return refusal(Refused.NotFound, `no request ${requestId}`);
  let approver: ApproverRecord;
  if (ballot.via === 'signed') {
    const check = checkDecision({ signed: ballot.signed, request: r, approvers, now });
    if (!check.ok) return refusal(check.code, check.reason);
    approver = check.approver;
  } else approver = match!.approver;
  if (!isOpen(r)) return refusal(Refused.NotPending, `request ${r.id} is ${r.state}, no longer open to decisions`);
  if (now.getTime() >= Date.parse(r.expiresAt))
    return refusal(Refused.NotPending, `request ${r.id} expired at ${r.expiresAt}, no longer open to decisions`);
  if (ballot.via === 'signed' && r.votes.some((v) => v.signature === ballot.signed.signature))
    return refusal(Refused.Replayed, 'this signed decision was already counted (replay)');
  const action = ballot.via === 'signed' ? ballot.signed.action : ballot.decision.action;
  if (action === 'approve') {
    const e = eligibility(approver, r.settings, r.requester);
    if (!e.ok) return refusal(Refused.Ineligible, e.reason);
  }
  if (ballot.via === 'signed') {
    const s = ballot.signed;
    const badGrant = grantCheck(r, s.action, s.grant);
    if (badGrant !== undefined) return badGrant;
    const badPreview = previewRefusal(r, s);
    if (badPreview !== undefined) return refusal(Refused.WrongPreview, badPreview);
    const vote: Vote = {
      approver: s.approver,
      action: s.action,
      channel: ballot.channel,
      at: s.at,
      reason: text(s.reason),
      question: text(s.question),
      signature: s.signature,
      ...(s.grant === undefined ? {} : { grant: s.grant }),
    };
    return {
      vote,
      record: approvalRecord(r, vote, {
        signature: s.signature,
        key: approver.fingerprint,
        ...grantPayload(s.grant),
        ...ballot.extra,
      }),
    };
  }
  const d = ballot.decision;
  // a channel's scope is checked as a signed one is: its user is not trusted for the bounds
  const badGrant = grantCheck(r, d.action, d.grant);
  if (badGrant !== undefined) return badGrant;
  const vote: Vote = {
    approver: approver.name,
    action: d.action,
    channel: d.identity.channel,
    at: now.toISOString(),
    reason: text(d.reason),
    question: text(d.question),
    identity: match!.byIdentity ? d.identity.id : undefined,
    ...(match!.subject === undefined ? {} : { subject: match!.subject }),
    ...(d.grant === undefined ? {} : { grant: d.grant }),
  };
  return {
    vote,
    record: approvalRecord(r, vote, {
      identity: d.identity.id,
      verifiedBy: d.identity.verifiedBy ?? null,
      ...(match!.subject === undefined ? {} : { subject: match!.subject }),
      ...grantPayload(d.grant),
      ...ballot.extra,
    }),
  };
}

/** A scoped grant: within the policy's bounds, for this request's own session, as shown. */
function grantCheck(r: StoredRequest, action: DecisionAction, g: GrantRequest | undefined): Refusal | undefined {
  if (g === undefined) return undefined;
  const bad =
    action !== 'approve' ? 'only an approval carries a grant' : grantRefusal(g, r.settings, scopeFacts(r.view));
  return bad === undefined ? undefined : refusal(Refused.GrantRefused, bad);
}

/**
 * A signed approval binds the effect preview the approver was shown: its sha256 must be the
 * request's (decision 1085). Deny and ask need none; a hash on a request without a preview is refused.
 */
function previewRefusal(r: StoredRequest, s: SignedDecision): string | undefined {
  const shown = r.view.preview?.sha256;
  if (s.action !== 'approve' || s.preview === shown) return undefined;
  if (shown === undefined) return `signed for an effect preview (${s.preview}) this request does not have`;
  return s.preview === undefined
    ? `request ${r.id} shows an effect preview (sha256 ${shown}) that this approval does not name; review it (guard show ${r.id}) with a client that signs it`
    : `signed for another effect preview (${s.preview}) than the one request ${r.id} shows (${shown})`;
}

function approvalRecord(r: StoredRequest, vote: Vote, extra: Record<string, JsonValue>): LedgerItem {
  const payload = JSON.parse(
    JSON.stringify({
      requestId: r.id,
      approver: vote.approver,
      action: vote.action,
      channel: vote.channel,
      at: vote.at,
      fingerprint: r.fingerprint,
      reason: vote.reason,
      question: vote.question,
      // the effect preview the request showed when this vote was cast (decision 1085)
      preview: r.view.preview?.sha256,
      ...extra,
    }),
  ) as JsonValue;
  return { type: 'approval', payload };
}

/** The `approval_refused` payload of a refused ballot: who tried what, through which channel, and why. */
export function refusedBallotPayload(
  ballot: Ballot,
  refused: Refusal,
  approvers: ApproverRecord[],
): Record<string, JsonValue> {
  if (ballot.via === 'signed') {
    const s = ballot.signed;
    return {
      requestId: s.requestId,
      approver: s.approver,
      action: s.action,
      channel: ballot.channel,
      signature: s.signature,
      fingerprint: s.fingerprint,
      code: refused.refused,
      reason: refused.reason,
    };
  }
  const d = ballot.decision;
  return {
    requestId: d.requestId,
    approver: channelApprover(d.identity, approvers, ballot.subjects)?.approver.name ?? null,
    action: d.action,
    channel: d.identity.channel,
    identity: d.identity.id,
    verifiedBy: d.identity.verifiedBy ?? null,
    code: refused.refused,
    reason: refused.reason,
    // what the channel asked for, so a forged scope leaves a trace
    ...grantPayload(d.grant),
  };
}

function grantPayload(g: GrantRequest | undefined): Record<string, JsonValue> {
  return g === undefined ? {} : { grant: JSON.parse(JSON.stringify(g)) as JsonValue };
}
