/**
 * The agents' file-editing tools (Claude Code's Write/Edit/MultiEdit/NotebookEdit, Gemini CLI's
 * write_file/replace, Codex's apply_patch) are judged like a shell line that writes the same files (`: > 'path'`), so
 * the policy's protected locations — guard's state, policy and approver files, the agents' hook
 * settings — hold however the agent writes them (issue 22, decision 0122). An allowed write gets
 * no opinion (the agent's own permission flow applies); anything else is refused, because a file
 * tool cannot be rewritten to wait in `guard exec`.
 */
import { shQuote } from './rewrite.js';
import type { Judgement } from './decide.js';
import type { Verdict } from './types.js';

/** Tool name → the tool_input fields naming the file it writes. */
const FILE_TOOLS: Readonly<Record<string, readonly string[]>> = {
  Write: ['file_path'],
  Edit: ['file_path'],
  MultiEdit: ['file_path'],
  NotebookEdit: ['notebook_path'],
  write_file: ['file_path', 'absolute_path'],
  replace: ['file_path', 'absolute_path'],
  // Codex: the whole patch is in tool_input.command; the files are its `*** … File:` lines
  apply_patch: ['command'],
};

/** The files a Codex patch adds, updates, deletes or moves to. */
export function patchFiles(patch: string): string[] {
  const out: string[] = [];
  for (const m of patch.matchAll(/^\*\*\* (?:Add File|Update File|Delete File|Move to): *(.+?) *$/gm)) out.push(m[1]!);
  return out;
}

export function isFileTool(toolName: string | undefined): toolName is string {
  return toolName !== undefined && Object.hasOwn(FILE_TOOLS, toolName);
}

/** The hook matcher that also routes the file tools to guard (Claude Code and Gemini CLI read it as a regex). */
export function withFileTools(matcher: string): string {
  const extra =
    matcher === 'run_shell_command' ? ['write_file', 'replace'] : ['Write', 'Edit', 'MultiEdit', 'NotebookEdit'];
  return [matcher, ...extra].join('|');
}

/**
 * The shell line that writes what this tool call writes, or undefined when the tool is not a file
 * tool. A file tool whose input names no file is judged as something unreadable (held).
 */
export function fileToolLine(toolName: string | undefined, toolInput: Record<string, unknown>): string | undefined {
  if (!isFileTool(toolName)) return undefined;
  const given = FILE_TOOLS[toolName]!.map((k) => toolInput[k]).filter((v): v is string => typeof v === 'string');
  const paths = toolName === 'apply_patch' ? given.flatMap(patchFiles) : given;
  // no file named: a program computed at run time, which the policy never allows unread
  if (paths.length === 0) return '"$FILE_TOOL_TARGET_UNKNOWN"';
  return paths.map((p) => `: > ${shQuote(p)}`).join('; ');
}

/** Allowed: no opinion. Held or denied: refused with the policy's reasons. */
export function fileToolVerdict(tool: string, judgement: Judgement): Verdict {
  if (judgement.effect === 'allow') return { kind: 'other' };
  const why = judgement.reasons.slice(0, 3).join('; ');
  return {
    kind: 'block',
    cause: 'policy',
    reason: `refused: the ${tool} tool would write a file guard's policy ${judgement.effect === 'deny' ? 'denies' : 'holds for a human'}: ${why.length > 600 ? `${why.slice(0, 600)}…` : why}. Nothing was written. Do not retry; ask a human if the change is needed.`,
  };
}
