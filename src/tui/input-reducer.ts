/**
 * The reducer's text-entry half: filter, deny reason, question and the (masked) passphrase,
 * and what submitting each of them does.
 */
import type { Command } from './keys.js';
import type { DecisionIntent, TuiState } from './model.js';
import { blockedReason } from './select.js';
import { ensureSelection, leaveIntent, send } from './transitions.js';

/** Longest reason or question accepted (the daemon's limit). */
export const MAX_TEXT = 4000;

/**
 * Sign and send now when the key is unlocked; otherwise ask for the passphrase first. Approving a
 * request whose risk needs a fresh passphrase always asks: keystrokes another process types into
 * this terminal (tmux send-keys, a pasted "g" then "a") cannot approve it during the unlock window.
 */
export function decide(state: TuiState, intent: DecisionIntent): TuiState {
  const risk = state.requests[intent.requestId]?.view.risk;
  const fresh = intent.action === 'approve' && (risk === undefined || state.freshRisks.includes(risk));
  const unlocked = state.unlockedUntil !== undefined && state.unlockedUntil > state.now;
  if (unlocked && !fresh)
    return send({ ...state, mode: state.returnMode, input: '', busy: intent }, { kind: 'decide', intent });
  return { ...state, mode: 'passphrase', input: '', secretLength: 0, pending: intent };
}

export function inputCommand(state: TuiState, cmd: Command): TuiState {
  if (state.mode === 'scope' && cmd !== 'back') return state.choices === undefined ? state : pickHint(state);
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
  if (choice === undefined || state.pending === undefined) return pickHint(state);
  return decide({ ...state, choices: undefined }, { ...state.pending, grant: choice.grant });
}

export function text(state: TuiState, typed: string): TuiState {
  if (state.mode === 'scope') return pickScope(state, typed);
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
  const entry = state.selectedId === undefined ? undefined : state.requests[state.selectedId];
  const blocked = blockedReason(state, entry);
  if (blocked !== undefined) return leaveIntent(state, `not sent: ${blocked}`);
  const intent: DecisionIntent =
    state.mode === 'deny-reason'
      ? { requestId: entry!.view.id, action: 'deny', reason: words }
      : { requestId: entry!.view.id, action: 'ask', question: words };
  return decide(state, intent);
}
