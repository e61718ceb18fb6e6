/**
 * What the evidence pack learns from one host's verified records, gathered while the verifier
 * streams them: the held and denied requests (the population), approvals, refusals, executions,
 * policy changes, key rotations and recoveries. Requests the policy allowed are dropped as soon as
 * their decision arrives, so memory grows with the population, not with the ledger (leaf hashes
 * for inclusion proofs are recomputed by the pack's second pass, decision 0218).
 */
import type { VerifiedRecord } from '../ledger/verify.js';

export interface Approval {
  approver: string;
  action: string;
  channel: string;
  /** `signed-key` (approver key signature), `channel:<verifier>` (identity verified by a channel), `unverified`. */
  level: string;
  identity: string;
  at: string;
  seq: number;
}

export interface Refusal {
  requestId: string;
  approver: string;
  code: string;
  reason: string;
  channel: string;
  seq: number;
  ts: string;
}

export interface Item {
  host: string;
  requestId: string;
  seq: number;
  ts: string;
  command: string;
  requester: string;
  onBehalfOf: string;
  fingerprint: string;
  effect: string;
  risk: string;
  rules: string[];
  policyDigest: string;
  /** The earlier approved request whose grant this re-run used. */
  grantOf: string;
  approvals: Approval[];
  refused: Refusal[];
  /** pending | approved | denied | expired | cancelled | revoked | policy_denied | granted */
  outcome: string;
  decidedAt: string;
  decidedSeq: number;
  /** The quorum decision that approved it (0: never approved). */
  approvedSeq: number;
  approvedAt: string;
  approvers: string[];
  execStart: { seq: number; ts: string; fingerprint: string } | undefined;
  execEnd: { seq: number; ts: string; exitCode: number | null; signal: string } | undefined;
  /** Every record about this request, in order. */
  seqs: number[];
  /** Leaf hash (hex) of the request record, `seq` (the population's `leaf_hash`). */
  leaf: string;
}

export interface HostEvent {
  seq: number;
  ts: string;
  type: string;
  detail: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Leaf hashes kept compactly (32 bytes each) for inclusion proofs. */
export class LeafStore {
  private buf: Buffer;
  size = 0;
  constructor(capacity = 1024) {
    this.buf = Buffer.alloc(32 * Math.max(1, capacity));
  }
  /** Append a leaf hash given as 64 hex digits. */
  push(leafHex: string): void {
    if ((this.size + 1) * 32 > this.buf.length) {
      const next = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(next);
      this.buf = next;
    }
    this.buf.write(leafHex, this.size * 32, 'hex');
    this.size++;
  }
  get(i: number): Buffer {
    return this.buf.subarray(i * 32, i * 32 + 32);
  }
}

export class HostCollector {
  readonly items = new Map<string, Item>();
  private readonly open = new Map<string, Omit<Item, 'effect' | 'risk' | 'rules' | 'policyDigest' | 'grantOf'>>();
  readonly refusals: Refusal[] = [];
  readonly events: HostEvent[] = [];
  readonly counts = new Map<string, number>();
  firstTs = '';
  lastTs = '';

  constructor(readonly host: string) {}

  push(v: VerifiedRecord): void {
    const { seq, type } = v;
    const ts = str(v.record['ts']);
    const p = obj(v.record['payload']);
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    if (this.firstTs === '') this.firstTs = ts;
    this.lastTs = ts;
    const id = str(p['requestId']);
    const item = this.items.get(id);
    item?.seqs.push(seq);
    switch (type) {
      case 'request': {
        const requester = obj(p['requester']);
        this.open.set(id, {
          host: this.host,
          requestId: id,
          seq,
          ts,
          command: str(p['command']),
          requester: str(requester['user']),
          onBehalfOf: str(requester['onBehalfOf']),
          fingerprint: str(p['fingerprint']),
          approvals: [],
          refused: [],
          outcome: 'pending',
          decidedAt: '',
          decidedSeq: 0,
          approvedSeq: 0,
          approvedAt: '',
          approvers: [],
          execStart: undefined,
          execEnd: undefined,
          seqs: [seq],
          leaf: v.leafHex,
        });
        return;
      }
      case 'decision':
        return this.decision(id, p, seq, ts, item);
      case 'approval': {
        if (item === undefined) return;
        const channel = str(p['channel']);
        const signed = str(p['signature']) !== '' && str(p['key']) !== '';
        const verifiedBy = str(p['verifiedBy']);
        item.approvals.push({
          approver: str(p['approver']),
          action: str(p['action']),
          channel,
          level: signed ? 'signed-key' : verifiedBy !== '' ? `channel:${verifiedBy}` : 'unverified',
          identity: signed ? str(p['key']) : str(p['identity']),
          at: ts,
          seq,
        });
        return;
      }
      case 'approval_refused': {
        const r: Refusal = {
          requestId: id,
          approver: str(p['approver']),
          code: str(p['code']),
          reason: str(p['reason']),
          channel: str(p['channel']),
          seq,
          ts,
        };
        this.refusals.push(r);
        item?.refused.push(r);
        return;
      }
      case 'exec_start':
        if (item !== undefined && item.execStart === undefined)
          item.execStart = { seq, ts, fingerprint: str(p['fingerprint']) };
        return;
      case 'exec_end':
        if (item !== undefined && item.execEnd === undefined) {
          const code = p['exitCode'];
          item.execEnd = { seq, ts, exitCode: typeof code === 'number' ? code : null, signal: str(p['signal']) };
        }
        return;
      case 'expired':
      case 'cancelled':
      case 'grant_revoked':
        if (item !== undefined) {
          item.outcome = type === 'grant_revoked' ? 'revoked' : type;
          item.decidedAt = ts;
          item.decidedSeq = seq;
        }
        return;
      case 'policy_changed':
      case 'policy_error':
      case 'key_rotation':
      case 'recovery':
      case 'ledger_open':
      case 'approver_enrolled':
      case 'approver_enroll_refused':
      case 'approver_removed':
      case 'approver_updated':
      case 'approver_rotated':
      case 'approver_change_refused':
        this.events.push({ seq, ts, type, detail: p });
        return;
      default:
        return;
    }
  }

  private decision(id: string, p: Obj, seq: number, ts: string, item: Item | undefined): void {
    const source = str(p['source']);
    if (source === 'policy') {
      const base = this.open.get(id);
      if (base === undefined) return;
      this.open.delete(id);
      const effect = str(p['effect']);
      if (effect === 'allow') return;
      const rules = Array.isArray(p['rules']) ? p['rules'].map(str) : [];
      const grantOf = str(p['grant']);
      const next: Item = {
        ...base,
        seqs: [...base.seqs, seq],
        effect,
        risk: str(p['risk']),
        rules,
        policyDigest: str(p['policyDigest']),
        grantOf,
      };
      if (effect === 'deny') {
        next.outcome = 'policy_denied';
        next.decidedAt = ts;
        next.decidedSeq = seq;
      } else if (grantOf !== '') {
        next.outcome = 'granted';
        next.decidedAt = ts;
        next.decidedSeq = seq;
      }
      this.items.set(id, next);
      return;
    }
    if (item === undefined || source !== 'quorum') return;
    item.outcome = str(p['state']);
    item.decidedAt = ts;
    item.decidedSeq = seq;
    if (item.outcome === 'approved') {
      item.approvedSeq = seq;
      item.approvedAt = ts;
    }
    if (Array.isArray(p['approvers'])) item.approvers = p['approvers'].map(str);
  }

  /** Requests recorded without any policy decision (the ledger ends, or the daemon died, in between). */
  undecided(): { requestId: string; seq: number; ts: string }[] {
    return [...this.open.values()].map((o) => ({ requestId: o.requestId, seq: o.seq, ts: o.ts }));
  }
}
