/**
 * Cursor's file events (decision 0817). Cursor documents two hooks for the agent's file tools:
 * `beforeReadFile` (input `file_path`, `content`, `attachments`; answer `permission` allow | deny),
 * which can refuse a read, and `afterFileEdit` (input `file_path`, `edits`), which runs after the
 * edit is on disk and whose answer Cursor ignores. guard judges a read as `cat '<file>'` (the
 * policy holds reads of credential files) and an edit as `: > '<file>'` (the policy denies writes
 * to guard's own state, policy and approver files and the agents' hook settings). A read guard
 * does not allow is refused; an edit can only be reported: it is recorded on the ledger with a
 * reason saying it had already happened, and the reason goes to Cursor's hook log.
 * Source: cursor.com/docs/agent/hooks as reproduced by third-party references (Cupcake's Cursor
 * harness reference, hookshot's Cursor reference); no recorded sample from Cursor itself.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Judgement } from './decide.js';
import { checkCommand, requiredString } from './input.js';
import { shQuote } from './rewrite.js';
import { HookInputError, type ShellCall, type Verdict } from './types.js';

export const CURSOR_READ = 'beforeReadFile';
export const CURSOR_EDIT = 'afterFileEdit';

/** The request reason recorded for an edit Cursor reports after the fact. */
export const AFTER_EDIT_NOTE =
  'Cursor reported this file edit after it was made (afterFileEdit): guard could not stop it';

export function isCursorFileEvent(event: string | undefined): boolean {
  return event === CURSOR_READ || event === CURSOR_EDIT;
}

/**
 * The shell line a Cursor file event is judged as. A relative path is taken from the workspace
 * root (and so never reads as an option); an input without `file_path` is malformed (refused).
 */
export function cursorFileCall(root: Record<string, unknown>, event: string, cwd: string, session?: string): ShellCall {
  const given = requiredString(root, 'file_path', 'input');
  if (given === '') throw new HookInputError('input has an empty "file_path"');
  const file = shQuote(isAbsolute(given) ? given : resolve(cwd, given));
  const line = event === CURSOR_READ ? `cat ${file}` : `: > ${file}`;
  return {
    command: checkCommand(line, 'input'),
    cwd,
    toolInput: {},
    session,
    fileTool: event,
    ...(event === CURSOR_EDIT ? { note: AFTER_EDIT_NOTE } : {}),
  };
}

/** Allowed: no opinion. Otherwise a read is refused; an edit, already made, is reported. */
export function cursorFileVerdict(event: string, judgement: Judgement): Verdict {
  if (judgement.effect === 'allow') return { kind: 'other' };
  const raw = judgement.reasons.slice(0, 3).join('; ');
  const why = raw.length > 600 ? `${raw.slice(0, 600)}…` : raw;
  const verb = judgement.effect === 'deny' ? 'denies' : 'holds for a human';
  const reason =
    event === CURSOR_READ
      ? `refused: reading this file is something guard's policy ${verb}: ${why}. Nothing was read. Do not retry; ask a human if the file is needed.`
      : `the agent has already edited a file whose writing guard's policy ${verb} (Cursor reports edits only afterwards): ${why}. Check the file and undo the change if it was not intended.`;
  return { kind: 'block', cause: 'policy', reason };
}
