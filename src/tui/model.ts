/**
 * The approver terminal's state, as plain data. The reducer (reducer.ts) is the only code that
 * changes it; side effects (signing, sending, loading history) are requested through `outbox`.
 */
import type { GrantChoice } from '../approval/grant-choices.js';
import type { GrantRequest } from '../approval/scope.js';
import type { DecisionAction } from '../approval/types.js';
import type { RequestView } from '../channels/types.js';
import type { Risk } from '../policy/types.js';
import type { ExtendOffer } from '../request/state.js';

export type Mode =
  | 'list'
  | 'detail'
  | 'filter'
  | 'deny-reason'
  | 'ask'
  | 'passphrase'
  | 'history'
  | 'record'
  | 'scope'
  | 'extend'
  | 'revoke'
  | 'batch';

/** Modes that prompt for something about one request; leaving them sends nothing. */
export const INTENT_MODE_LIST: readonly Mode[] = ['deny-reason', 'ask', 'passphrase', 'scope', 'extend', 'revoke'];

/** A request as the terminal knows it. */
export interface Entry {
  view: RequestView;
  /**
   * True while the daemon connection that delivered it is up and the daemon still lists it.
   * A stale entry is shown for context but can never be acted on.
   */
  live: boolean;
  /** Monotonic arrival order (newer requests of equal risk sort first). */
  seen: number;
  /** When it was first seen closed (or no longer listed); closed entries are dropped after a while. */
  closedAt?: number | undefined;
}

export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'live' }
  | { status: 'down'; message: string; retryAt: number; attempt: number };

/** One line of the history view, distilled from a ledger record. */
export interface HistoryItem {
  seq: number;
  ts: string;
  type: string;
  requestId: string | undefined;
  who: string | undefined;
  summary: string;
  /** The request's command in its recorded display form (redacted), when the ledger holds it. */
  command?: string | undefined;
}

/** One request's record chain, opened from the history (read-only). */
export interface RecordView {
  status: 'loading' | 'ready' | 'error';
  requestId: string;
  /** Every ledger record of the request, oldest first. */
  items: HistoryItem[];
  error?: string | undefined;
}

export interface DecisionIntent {
  requestId: string;
  action: DecisionAction;
  reason?: string | undefined;
  question?: string | undefined;
  /** A scoped grant chosen in the scope menu (approve only); absent: the policy's default grant. */
  grant?: GrantRequest | undefined;
}

/** A grant as an extension names it: uses left and expiry (decision 1087). */
export interface GrantState {
  usesLeft: number;
  expiresAt: string;
}

/** A live grant as the daemon reports it (`grants`, decision 1100). */
export interface GrantInfo extends GrantState {
  requestId: string;
  /** A session grant's scope text as approved; absent for a grant of the exact command. */
  scope?: string | undefined;
  /** The widest extension the rule allows, computed by the daemon (`extendOffer`, decision 1091). */
  extendOffer?: ExtendOffer | undefined;
}

/** Give a live grant more uses or time: signed like `guard extend`, `from` exactly as shown. */
export interface ExtendIntent {
  requestId: string;
  action: 'extend';
  from: GrantState;
  to: GrantState;
}

/** End a live grant (the daemon's `revoke`: only narrows, no key needed). */
export interface RevokeIntent {
  requestId: string;
  action: 'revoke';
}

/**
 * One decision over several requests of one agent session (decision 1113): exactly the ids shown
 * in the batch view, each signed alone over its own fingerprint with one unlock.
 */
export interface BatchIntent {
  /** The first request of the batch (a wrong passphrase is reported against it). */
  requestId: string;
  action: 'batch';
  decision: 'approve' | 'deny';
  session: string;
  ids: string[];
  /** The deny reason typed (the signed reason also names the batch). */
  reason?: string | undefined;
}

/** Anything the TUI sends about one request (or, a batch, about the requests of one session). */
export type Intent = DecisionIntent | ExtendIntent | RevokeIntent | BatchIntent;

/** The batch view of one agent session: the requests shown are fixed when it opens. */
export interface BatchView {
  session: string;
  /** The requests shown, oldest first; only these can be decided from this view. */
  ids: string[];
  /** Where Esc returns to. */
  from: 'list' | 'detail';
  /** Per request: what happened to its decision (after a batch was sent). */
  results?: Record<string, string> | undefined;
}

/** Where Esc (or a finished input) returns to. */
export type ReturnMode = 'list' | 'detail' | 'batch';

/** One extension the menu offers: what the grant becomes, exactly as signed. */
export interface ExtendChoice {
  label: string;
  to: GrantState;
}

/** The extension menu: the grant as shown, and the choices once the daemon's current offer is read. */
export interface Extending {
  requestId: string;
  from: GrantState;
  /** Undefined while the offer is being read; then fixed: the one picked is signed verbatim. */
  choices: ExtendChoice[] | undefined;
}

/** Side effects the reducer asks for; the app runs each once (by serial) and reports back. */
export type Outgoing =
  | { kind: 'unlock-and-decide'; serial: number; intent: Intent }
  | { kind: 'decide'; serial: number; intent: Intent }
  | { kind: 'load-grants'; serial: number }
  | { kind: 'load-history'; serial: number }
  | { kind: 'load-record'; serial: number; requestId: string }
  | { kind: 'lock'; serial: number }
  | { kind: 'quit'; serial: number };

export interface Flash {
  level: 'info' | 'error';
  text: string;
}

export interface TuiState {
  now: number;
  requests: Record<string, Entry>;
  nextSeen: number;
  selectedId: string | undefined;
  filter: string;
  mode: Mode;
  /** Where Esc (or a finished input) returns to. */
  returnMode: ReturnMode;
  /** The batch view while it is open (mode `batch`, and the prompts it opens). */
  batch?: BatchView | undefined;
  /** Text being typed in filter / deny-reason / ask modes. */
  input: string;
  /** Passphrase characters typed so far (the passphrase itself never enters the state). */
  secretLength: number;
  /** The decision waiting for the passphrase (or, in the scope menu, for the scope; in revoke, for y). */
  pending: Intent | undefined;
  /** The scope menu's choices, fixed when it opened: the one picked is signed verbatim. */
  choices?: GrantChoice[] | undefined;
  detailScroll: number;
  /** The selected history item (index into `history.items`). */
  historyScroll: number;
  recordScroll: number;
  record: RecordView | undefined;
  connection: ConnectionState;
  approver: string;
  unlockWindowMs: number;
  /** Approving a request of one of these risks always asks for the passphrase (no unlock window). */
  freshRisks: readonly Risk[];
  /** Signing key unlocked until this time (ms epoch); undefined when locked. */
  unlockedUntil: number | undefined;
  /** A decision being signed or sent: keys that act are disabled meanwhile. */
  busy: Intent | undefined;
  /** Live grants by request id, as last read from the daemon (replaced whole on each read). */
  grants: Record<string, GrantInfo>;
  /** The extension menu while it is open. */
  extending?: Extending | undefined;
  flash: Flash | undefined;
  history: { status: 'idle' | 'loading' | 'ready' | 'error'; items: HistoryItem[]; error?: string | undefined };
  /** Effects requested, oldest first (bounded); the app runs each serial once, in order. */
  outbox: Outgoing[];
  serial: number;
}

const RISKS: readonly Risk[] = ['low', 'medium', 'high', 'critical'];

/** The risks at or above `from` (`none`: no fresh passphrase beyond the unlock window). */
export function risksFrom(from: Risk | 'none'): Risk[] {
  return from === 'none' ? [] : RISKS.slice(RISKS.indexOf(from));
}

export function initialState(opts: {
  approver: string;
  unlockWindowMs: number;
  now: number;
  /** Default `high`: approving a high or critical request needs the passphrase every time. */
  freshPassphraseFrom?: Risk | 'none' | undefined;
}): TuiState {
  return {
    now: opts.now,
    requests: {},
    nextSeen: 1,
    selectedId: undefined,
    filter: '',
    mode: 'list',
    returnMode: 'list',
    input: '',
    secretLength: 0,
    pending: undefined,
    detailScroll: 0,
    historyScroll: 0,
    recordScroll: 0,
    record: undefined,
    connection: { status: 'connecting', attempt: 0 },
    approver: opts.approver,
    unlockWindowMs: opts.unlockWindowMs,
    freshRisks: risksFrom(opts.freshPassphraseFrom ?? 'high'),
    unlockedUntil: undefined,
    busy: undefined,
    grants: {},
    flash: undefined,
    history: { status: 'idle', items: [] },
    outbox: [],
    serial: 0,
  };
}
