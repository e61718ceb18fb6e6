/**
 * Cursor: a `beforeShellExecution` hook in hooks.json (and its file events, cursor-files.ts). Input: hook_event_name, conversation_id,
 * generation_id, workspace_roots, command, cwd. Output: `permission` ("allow" | "deny" | "ask"),
 * `user_message`, `agent_message`. Cursor documents no way to rewrite the command, so a command
 * that needs approval is refused with an `agent_message` telling the agent to run it through
 * `guard exec` (which waits for the human); that hand-off command is then let through.
 * Source: cursor.com/docs/agent/hooks as reproduced by third-party references (Cupcake's Cursor
 * harness reference); no recorded sample from Cursor itself was available.
 */
import { CURSOR_EDIT, cursorFileCall, isCursorFileEvent } from './cursor-files.js';
import { asObject, checkCommand, optionalString, resolveCwd } from './input.js';
import type { AgentAdapter, HookReply, Parsed, ShellCall, Verdict } from './types.js';

const json = (v: unknown): string => `${JSON.stringify(v)}\n`;

function parse(input: unknown, fallbackCwd: string): Parsed {
  const root = asObject(input, 'hook input');
  const event = optionalString(root, 'hook_event_name');
  const roots = root['workspace_roots'];
  const firstRoot = Array.isArray(roots) && typeof roots[0] === 'string' ? roots[0] : undefined;
  if (isCursorFileEvent(event)) {
    const cwd = resolveCwd(firstRoot, fallbackCwd);
    return { kind: 'shell', call: cursorFileCall(root, event!, cwd, optionalString(root, 'conversation_id')) };
  }
  if (event !== undefined && event !== 'beforeShellExecution') return { kind: 'other', what: `event ${event}` };
  const call: ShellCall = {
    command: checkCommand(root['command'], 'input'),
    cwd: resolveCwd(optionalString(root, 'cwd') || firstRoot, fallbackCwd),
    toolInput: {},
    session: optionalString(root, 'conversation_id'),
  };
  return { kind: 'shell', call };
}

function deny(reason: string): HookReply {
  // Cursor reads the JSON answer; the same reason goes to stderr for its hook log.
  return {
    stdout: json({ permission: 'deny', user_message: `guard: ${reason}`, agent_message: reason }),
    stderr: `guard: ${reason}\n`,
    exitCode: 0,
  };
}

export const cursorAdapter: AgentAdapter = {
  name: 'cursor',
  canRewrite: false,
  rewriteSkipsOwnChecks: false,
  parse,
  render(verdict: Verdict, call: ShellCall | undefined): HookReply {
    // an edit already made: Cursor ignores the answer; the reason goes to its hook log
    if (call?.fileTool === CURSOR_EDIT)
      return { stdout: json({}), stderr: verdict.kind === 'block' ? `guard: ${verdict.reason}\n` : '', exitCode: 0 };
    switch (verdict.kind) {
      case 'other':
        // a read guard allows; otherwise not a shell command: no opinion, "ask" leaves it to the human
        return {
          stdout: json({ permission: call?.fileTool === undefined ? 'ask' : 'allow' }),
          stderr: '',
          exitCode: 0,
        };
      case 'pass':
        return { stdout: json({ permission: 'allow' }), stderr: '', exitCode: 0 };
      case 'block':
        return deny(verdict.reason);
      case 'rewrite':
        // never produced for an adapter that cannot rewrite; refuse rather than guess
        return deny('internal error: Cursor cannot run a rewritten command');
    }
  },
};
