/**
 * The reducer's text-entry half: filter, deny reason, question and the (masked) passphrase,
 * and what submitting each of them does.
 */
import type { Command } from './keys.js';
import { batchIntent } from './batch.js';
import type { BatchIntent, DecisionIntent, ExtendIntent, TuiState } from './model.js';
import { blockedReason } from './select.js';
import { ensureSelection, leaveIntent, revalidate, send } from './transitions.js';

/** Longest reason or question accepted (the daemon's limit). */
export const MAX_TEXT = 4000;

/**
 * Sign and send now when the key is unlocked; otherwise ask for the passphrase first. Approving a
 * request whose risk needs a fresh passphrase always asks: keystrokes another process types into
 * this terminal (tmux send-keys, a pasted "g" then "a") cannot approve it during the unlock window.
 */
export function decide(state: TuiState, intent: DecisionIntent | ExtendIntent | BatchIntent): TuiState {
  // a batch approval needs a fresh passphrase when any one of its requests would
  const ids = intent.action === 'batch' ? intent.ids : [intent.requestId];
  const risks = ids.map((id) => state.requests[id]?.view.risk);
  // an extension widens what an approval allows: it needs the passphrase as approving would
  const widens =
    intent.action === 'approve' ||
    intent.action === 'extend' ||
    (intent.action === 'batch' && intent.decision === 'approve');
  const fresh = widens && risks.some((risk) => risk === undefined || state.freshRisks.includes(risk));
  const unlocked = state.unlockedUntil !== undefined && state.unlockedUntil > state.now;
  if (unlocked && !fresh)
    return send({ ...state, mode: state.returnMode, input: '', busy: intent }, { kind: 'decide', intent });
  return { ...state, mode: 'passphrase', input: '', secretLength: 0, pending: intent };
}

export function inputCommand(state: TuiState, cmd: Command): TuiState {
  if (state.mode === 'scope' && cmd !== 'back') return state.choices === undefined ? state : pickHint(state);
  if (state.mode === 'extend' && cmd !== 'back') return extendHint(state);
  if (state.mode === 'revoke' && cmd !== 'back') return revokeHint(state);
  switch (cmd) {
    case 'erase':
      if (state.mode === 'passphrase') return { ...state, secretLength: Math.max(0, state.secretLength - 1) };
      return withInput(state, Array.from(state.input).slice(0, -1).join(''));
    case 'clear-input':
      return state.mode === 'passphrase' ? { ...state, secretLength: 0 } : withInput(state, '');
    case 'back':
      if (state.mode === 'filter') return ensureSelection({ ...state, mode: 'list', input: '', filter: '' });
      return leaveIntent(state, 'cancelled: nothing was sent');
    case 'submit':
      return submit(state);
    default:
      return state;
  }
}

function withInput(state: TuiState, input: string): TuiState {
  const next = { ...state, input };
  return state.mode === 'filter' ? ensureSelection({ ...next, filter: input }) : next;
}

function pickHint(state: TuiState): TuiState {
  return { ...state, flash: { level: 'error', text: `press 1–${state.choices?.length ?? 1} to choose, or Esc` } };
}

/** The scope menu: a digit picks one choice; the decision then goes on as any approval does. */
function pickScope(state: TuiState, typed: string): TuiState {
  const choice = /^[1-9]$/.test(typed) ? state.choices?.[Number(typed) - 1] : undefined;
  if (choice === undefined || state.pending?.action !== 'approve') return pickHint(state);
  return decide({ ...state, choices: undefined }, { ...state.pending, grant: choice.grant });
}

function extendHint(state: TuiState): TuiState {
  const n = state.extending?.choices?.length;
  const text = n === undefined ? 'reading the grant from the daemon… (Esc cancels)' : `press 1–${n} to choose, or Esc`;
  return { ...state, flash: { level: 'error', text } };
}

function revokeHint(state: TuiState): TuiState {
  return { ...state, flash: { level: 'error', text: 'press y to revoke the grant, or n / Esc to keep it' } };
}

/** The extension menu: a digit picks one choice, signed as shown (passphrase first unless unlocked). */
function pickExtension(state: TuiState, typed: string): TuiState {
  const ext = state.extending;
  const choice = /^[1-9]$/.test(typed) ? ext?.choices?.[Number(typed) - 1] : undefined;
  if (ext === undefined || choice === undefined) return extendHint(state);
  const intent: ExtendIntent = { requestId: ext.requestId, action: 'extend', from: ext.from, to: choice.to };
  return decide({ ...state, extending: undefined }, intent);
}

/** The revoke confirmation: y sends it (no key: revoking only narrows), n cancels. */
function confirmRevoke(state: TuiState, typed: string): TuiState {
  if (typed === 'n' || typed === 'N') return leaveIntent(state, 'kept: nothing was revoked');
  const intent = state.pending;
  if ((typed !== 'y' && typed !== 'Y') || intent?.action !== 'revoke') return revokeHint(state);
  const checked = revalidate(state);
  if (checked.mode !== 'revoke') return checked;
  return send({ ...state, mode: state.returnMode, pending: undefined, busy: intent }, { kind: 'decide', intent });
}

export function text(state: TuiState, typed: string): TuiState {
  if (state.mode === 'scope') return pickScope(state, typed);
  if (state.mode === 'extend') return pickExtension(state, typed);
  if (state.mode === 'revoke') return confirmRevoke(state, typed);
  if (state.mode === 'passphrase') return { ...state, secretLength: state.secretLength + Array.from(typed).length };
  if (state.mode !== 'filter' && state.mode !== 'deny-reason' && state.mode !== 'ask') return state;
  const input = Array.from(state.input + typed)
    .slice(0, MAX_TEXT)
    .join('');
  return withInput(state, input);
}

function submit(state: TuiState): TuiState {
  if (state.mode === 'filter') return ensureSelection({ ...state, mode: 'list', filter: state.input, input: '' });
  if (state.mode === 'passphrase') {
    if (state.pending === undefined) return { ...state, mode: state.returnMode };
    if (state.secretLength === 0)
      return { ...state, flash: { level: 'error', text: 'type your passphrase, or Esc to cancel' } };
    const intent = state.pending;
    return send(
      { ...state, mode: state.returnMode, secretLength: 0, busy: intent },
      { kind: 'unlock-and-decide', intent },
    );
  }
  const words = state.input.trim();
  const what = state.mode === 'deny-reason' ? 'a reason is required to deny' : 'type the question for the requester';
  if (words === '') return { ...state, flash: { level: 'error', text: `${what} (Esc cancels)` } };
  if (state.mode === 'deny-reason' && state.returnMode === 'batch') {
    // one reason for every request shown that is still open
    const intent = batchIntent(state, 'deny', words);
    return 'error' in intent ? leaveIntent(state, `not sent: ${intent.error}`) : decide(state, intent);
  }
  const entry = state.selectedId === undefined ? undefined : state.requests[state.selectedId];
  const blocked = blockedReason(state, entry);
  if (blocked !== undefined) return leaveIntent(state, `not sent: ${blocked}`);
  const intent: DecisionIntent =
    state.mode === 'deny-reason'
      ? { requestId: entry!.view.id, action: 'deny', reason: words }
      : { requestId: entry!.view.id, action: 'ask', question: words };
  return decide(state, intent);
}
