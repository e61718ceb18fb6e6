/**
 * Every key binding of the approver's terminal, in one table. The footer is generated from the
 * same table, so what is shown is exactly what works. Pure: no Ink import (the Key shape is
 * structural), so the table is testable with plain values.
 */
import { INTENT_MODE_LIST, type Mode } from './model.js';

/** The subset of Ink's Key that the bindings look at. */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

export type Command =
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'top'
  | 'bottom'
  | 'details'
  | 'approve'
  | 'deny'
  | 'ask'
  | 'extend'
  | 'revoke'
  | 'batch'
  | 'filter'
  | 'history'
  | 'refresh'
  | 'back'
  | 'quit'
  | 'submit'
  | 'erase'
  | 'clear-input';

/** Modes where typed characters are text, not commands. */
export const INPUT_MODES: ReadonlySet<Mode> = new Set<Mode>(['filter', ...INTENT_MODE_LIST]);

type Matcher = (input: string, key: KeyInfo) => boolean;

interface Binding {
  command: Command;
  modes: readonly Mode[] | 'all';
  match: Matcher;
  /** How the footer shows the keys, e.g. "a". */
  keys: string;
  /** What the footer says it does; bindings without a label are not shown. */
  label?: string;
}

const plain =
  (chars: string): Matcher =>
  (input, key) =>
    key.ctrl !== true && key.meta !== true && chars.includes(input) && input.length === 1;
const ctrl =
  (ch: string): Matcher =>
  (input, key) =>
    key.ctrl === true && input === ch;
const flag =
  (name: keyof KeyInfo): Matcher =>
  (_input, key) =>
    key[name] === true;
const any =
  (...ms: Matcher[]): Matcher =>
  (input, key) =>
    ms.some((m) => m(input, key));

const BROWSE: readonly Mode[] = ['list', 'detail'];
const SCROLLING: readonly Mode[] = ['list', 'detail', 'history', 'record', 'batch'];
const TEXT: readonly Mode[] = ['filter', 'deny-reason', 'ask', 'passphrase'];

/** Order matters: the first binding that matches in the current mode wins. */
export const BINDINGS: readonly Binding[] = [
  { command: 'quit', modes: 'all', match: ctrl('c'), keys: '^C', label: 'quit' },
  { command: 'back', modes: 'all', match: flag('escape'), keys: 'Esc', label: 'back' },
  // text entry
  { command: 'submit', modes: TEXT, match: flag('return'), keys: 'Enter', label: 'confirm' },
  { command: 'erase', modes: TEXT, match: any(flag('backspace'), flag('delete')), keys: '⌫' },
  { command: 'clear-input', modes: TEXT, match: ctrl('u'), keys: '^U', label: 'clear' },
  // moving
  { command: 'up', modes: SCROLLING, match: any(flag('upArrow'), plain('k')), keys: '↑/k' },
  { command: 'down', modes: SCROLLING, match: any(flag('downArrow'), plain('j')), keys: '↓/j', label: 'move' },
  { command: 'page-up', modes: SCROLLING, match: flag('pageUp'), keys: 'PgUp' },
  { command: 'page-down', modes: SCROLLING, match: flag('pageDown'), keys: 'PgDn' },
  { command: 'top', modes: SCROLLING, match: any(flag('home'), plain('g')), keys: 'g' },
  { command: 'bottom', modes: SCROLLING, match: any(flag('end'), plain('G')), keys: 'G' },
  // acting on the selected request
  {
    command: 'details',
    modes: ['list', 'history'],
    match: any(flag('return'), plain('v')),
    keys: 'Enter',
    label: 'details',
  },
  { command: 'approve', modes: BROWSE, match: plain('a'), keys: 'a', label: 'approve' },
  { command: 'deny', modes: BROWSE, match: plain('d'), keys: 'd', label: 'deny' },
  { command: 'ask', modes: BROWSE, match: plain('i'), keys: 'i', label: 'ask' },
  // the selected request's live grant (decision 1100)
  { command: 'extend', modes: BROWSE, match: plain('e'), keys: 'e', label: 'extend' },
  { command: 'revoke', modes: BROWSE, match: plain('R'), keys: 'R', label: 'revoke' },
  // every open request of the selected request's agent session, decided together (decision 1113)
  { command: 'batch', modes: BROWSE, match: plain('B'), keys: 'B', label: 'session batch' },
  { command: 'approve', modes: ['batch'], match: plain('a'), keys: 'a', label: 'approve all' },
  { command: 'deny', modes: ['batch'], match: plain('d'), keys: 'd', label: 'deny all' },
  { command: 'filter', modes: ['list'], match: plain('/'), keys: '/', label: 'filter' },
  { command: 'history', modes: BROWSE, match: plain('h'), keys: 'h', label: 'history' },
  { command: 'refresh', modes: ['history'], match: plain('r'), keys: 'r', label: 'refresh' },
  { command: 'quit', modes: [...BROWSE, 'history', 'record', 'batch'], match: plain('q'), keys: 'q', label: 'quit' },
];

export type KeyResult = { command: Command } | { text: string } | undefined;

function applies(b: Binding, mode: Mode): boolean {
  return b.modes === 'all' || b.modes.includes(mode);
}

/** Map one key press in a mode to a command, typed text (input modes), or nothing. */
export function resolveKey(mode: Mode, input: string, key: KeyInfo): KeyResult {
  for (const b of BINDINGS) if (applies(b, mode) && b.match(input, key)) return { command: b.command };
  if (INPUT_MODES.has(mode) && key.ctrl !== true && key.meta !== true && input.length > 0) {
    // Pasted text arrives as one string; keep printable characters only (no escape sequences).
    const text = stripControl(input);
    return text.length > 0 ? { text } : undefined;
  }
  return undefined;
}

/* eslint-disable no-control-regex -- removing control characters is the point */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/* eslint-enable no-control-regex */

export function stripControl(s: string): string {
  return s.replace(CONTROL, '');
}

export interface Hint {
  keys: string;
  label: string;
  /** False when the command cannot be used now (request not actionable): shown dimmed. */
  enabled: boolean;
}

/** Commands that act on the selected request: disabled when it cannot be acted on. */
export const ACTING: ReadonlySet<Command> = new Set<Command>(['approve', 'deny', 'ask', 'batch']);
/** Commands that act on the selected request's live grant: disabled when it has none. */
export const GRANT_ACTING: ReadonlySet<Command> = new Set<Command>(['extend', 'revoke']);

/** Footer hints for a mode, from the bindings table: one hint per labelled command, keys joined. */
export function footerHints(
  mode: Mode,
  actionable: boolean,
  filterActive = false,
  grantActionable = false,
  /** The selection names an agent session: `B` (its batch) is listed. */
  sessionSelected = false,
): Hint[] {
  const byLabel = new Map<string, { keys: string[]; command: Command }>();
  for (const b of BINDINGS) {
    if (!applies(b, mode) || b.label === undefined) continue;
    if (b.command === 'back' && mode === 'list' && !filterActive) continue; // Esc does nothing there
    // extend / revoke are listed only while the selection has a live grant: a short footer otherwise
    if (GRANT_ACTING.has(b.command) && !grantActionable) continue;
    if (b.command === 'batch' && !sessionSelected) continue;
    const label = b.command === 'back' && mode === 'list' ? 'clear filter' : b.label;
    const entry = byLabel.get(label) ?? { keys: [], command: b.command };
    entry.keys.push(b.command === 'down' ? '↑↓' : b.keys);
    byLabel.set(label, entry);
  }
  const hints = [...byLabel].map(([label, e]) => ({
    // Ctrl-C is listed after q; "back" and "quit" go last so the acting keys come first
    keys: [...e.keys.filter((k) => k !== '^C'), ...e.keys.filter((k) => k === '^C')].join('/'),
    label,
    enabled: !ACTING.has(e.command) || actionable,
    last: e.command === 'quit' ? 2 : e.command === 'back' ? 1 : 0,
  }));
  hints.sort((a, b) => a.last - b.last);
  return hints.map(({ keys, label, enabled }) => ({ keys, label, enabled }));
}

export interface KeyEvent {
  input: string;
  key: KeyInfo;
}

/**
 * Ink hands over a run of plain characters read in one go (fast typing, tmux send-keys, a paste)
 * as one input, Enter and Backspace included. Split it into single key presses so each is resolved
 * in the mode the previous one left. Escape sequences arrive separately and pass through.
 */
export function splitKeys(input: string, key: KeyInfo): KeyEvent[] {
  const chars = Array.from(input);
  const special = Object.entries(key).some(([k, v]) => v === true && k !== 'shift');
  if (chars.length <= 1 || special || input.startsWith('\u001b')) return [{ input, key }];
  const out: KeyEvent[] = [];
  for (const c of chars) {
    if (c === '\r' || c === '\n') out.push({ input: '', key: { return: true } });
    else if (c === '\u007f' || c === '\b') out.push({ input: '', key: { backspace: true } });
    else if (c === '\t') out.push({ input: '', key: { tab: true } });
    else if (c.charCodeAt(0) < 0x20)
      out.push({ input: String.fromCharCode(c.charCodeAt(0) + 0x60), key: { ctrl: true } });
    else out.push({ input: c, key: {} });
  }
  return out;
}

/**
 * Approving must be a deliberate single key press: an `a` that arrives together with other keys
 * (a paste, a key held down) is not taken as an approval.
 */
export function approveNeedsOwnKey(events: KeyEvent[]): boolean {
  return events.length > 1;
}
