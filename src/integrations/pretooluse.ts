/**
 * Claude Code and Codex share one hook contract: a `PreToolUse` event for the tool named `Bash`,
 * `tool_input.command` a string, and an answer in `hookSpecificOutput` (`permissionDecision`,
 * `permissionDecisionReason`, `updatedInput`). Exit code 2 with a reason on stderr blocks in both;
 * any other non-zero exit lets the command run, so guard's own failures always exit 2.
 *
 * Sources: code.claude.com/docs/en/hooks (PreToolUse input and decision control);
 * openai/codex codex-rs/hooks/src/events/pre_tool_use.rs (Codex accepts `deny`, and `allow` only
 * together with `updatedInput`; `ask` is unsupported there and would fail open, so it is never sent).
 */
import { fileToolLine, isFileTool } from './file-tools.js';
import { asObject, checkCommand, optionalString, resolveCwd } from './input.js';
import type { AgentAdapter, AgentName, HookReply, Parsed, ShellCall, Verdict } from './types.js';

/** Exit code that makes Claude Code, Codex and Gemini CLI block a tool call. */
export const BLOCK_EXIT = 2;

/**
 * The common shape of Claude Code, Codex and Gemini CLI tool hooks: `hook_event_name`,
 * `tool_name`, `tool_input.command`, `cwd`, `session_id`; `dirKeys` name tool_input fields that
 * move the command into a subdirectory (Gemini's `dir_path`).
 */
export function parseToolHook(
  input: unknown,
  fallbackCwd: string,
  o: { event: string; tool: string; dirKeys?: string[] },
): Parsed {
  const root = asObject(input, 'hook input');
  const eventName = optionalString(root, 'hook_event_name');
  if (eventName !== undefined && eventName !== o.event) return { kind: 'other', what: `event ${eventName}` };
  const toolName = optionalString(root, 'tool_name');
  if (toolName !== o.tool) return fileToolHook(root, toolName, fallbackCwd);
  const toolInput = asObject(root['tool_input'], 'tool_input');
  const dir = (o.dirKeys ?? []).map((k) => optionalString(toolInput, k)).find((v) => v !== undefined);
  const call: ShellCall = {
    command: checkCommand(toolInput['command'], 'tool_input'),
    cwd: resolveCwd(optionalString(root, 'cwd'), fallbackCwd, dir),
    toolInput,
    session: optionalString(root, 'session_id'),
    transcriptPath: transcriptOf(root),
  };
  return { kind: 'shell', call };
}

/** `transcript_path` when it is a string (Codex may send null); anything else is no transcript, never an error. */
function transcriptOf(root: Record<string, unknown>): string | undefined {
  const v = root['transcript_path'];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A file-editing tool call, judged as the shell line that writes the same files; other tools: no opinion. */
function fileToolHook(root: Record<string, unknown>, toolName: string | undefined, fallbackCwd: string): Parsed {
  const toolInput = isFileTool(toolName) ? asObject(root['tool_input'], 'tool_input') : {};
  const line = fileToolLine(toolName, toolInput);
  if (line === undefined) return { kind: 'other', what: `tool ${toolName ?? '(none)'}` };
  const cwd = resolveCwd(optionalString(root, 'cwd'), fallbackCwd, undefined);
  return {
    kind: 'shell',
    call: { command: line, cwd, toolInput, session: optionalString(root, 'session_id'), fileTool: toolName },
  };
}

/** A blocking failure of guard itself: exit 2, reason on stderr (stdout is ignored on exit 2). */
export function failReply(reason: string): HookReply {
  return { stdout: '', stderr: `guard: ${reason}\n`, exitCode: BLOCK_EXIT };
}

type Rewrite = Extract<Verdict, { kind: 'rewrite' }>;

/**
 * The answer of a tool hook that has a JSON decision channel: no opinion is silence (exit 0, no
 * output: the agent's own permission flow applies), guard's failures exit 2, and the policy's
 * refusals and rewrites are the agent's JSON on stdout.
 */
export function toolHookRender(o: {
  deny(reason: string): unknown;
  rewrite(call: ShellCall, v: Rewrite): unknown;
}): (verdict: Verdict, call: ShellCall | undefined) => HookReply {
  const answer = (value: unknown): HookReply => ({ stdout: `${JSON.stringify(value)}\n`, stderr: '', exitCode: 0 });
  return (verdict, call) => {
    if (verdict.kind === 'other' || verdict.kind === 'pass') return { stdout: '', stderr: '', exitCode: 0 };
    if (verdict.kind === 'block')
      return verdict.cause === 'guard' ? failReply(verdict.reason) : answer(o.deny(verdict.reason));
    if (call === undefined) return failReply('internal error: a rewrite without a command');
    return answer(o.rewrite(call, verdict));
  };
}

export interface PreToolUseOptions {
  name: AgentName;
  event: string;
  tool: string;
  /** Extra fields of the rewritten tool input (Claude: a longer Bash timeout while waiting). */
  rewriteExtras(call: ShellCall, waitsForApproval: boolean): Record<string, unknown>;
  /**
   * Whether the agent applies `updatedInput` only together with `permissionDecision: "allow"`
   * (Codex). When false (Claude Code), a rewrite carries no decision: the agent's own permission
   * pipeline — its rules, its mode, its prompt — decides on the rewritten line (decision 0815).
   */
  rewriteNeedsAllow: boolean;
}

export function preToolUseAdapter(o: PreToolUseOptions): AgentAdapter {
  return {
    name: o.name,
    canRewrite: true,
    // both apply updatedInput only with permissionDecision "allow" (see the header)
    rewriteSkipsOwnChecks: true,
    parse: (input, cwd) => parseToolHook(input, cwd, o),
    render: toolHookRender({
      deny: (reason) => ({
        hookSpecificOutput: { hookEventName: o.event, permissionDecision: 'deny', permissionDecisionReason: reason },
      }),
      rewrite: (call, v) => ({
        hookSpecificOutput: {
          hookEventName: o.event,
          ...(o.rewriteNeedsAllow
            ? { permissionDecision: 'allow', permissionDecisionReason: v.reason }
            : { additionalContext: `guard: ${v.reason}` }),
          // updatedInput replaces the whole tool input: keep the other fields
          updatedInput: { ...call.toolInput, ...o.rewriteExtras(call, v.waitsForApproval), command: v.command },
        },
      }),
    }),
  };
}
