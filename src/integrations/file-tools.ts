/**
 * The agents' file-editing tools (Claude Code's Write/Edit/MultiEdit/NotebookEdit, Gemini CLI's
 * write_file/replace, Codex's apply_patch) are judged like a shell line that writes the same files (`: > 'path'`), so
 * the policy's protected locations — guard's state, policy and approver files, the agents' hook
 * settings — hold however the agent writes them (issue 22, decision 0122). An allowed write gets
 * no opinion (the agent's own permission flow applies); anything else is refused, because a file
 * tool cannot be rewritten to wait in `guard exec`.
 */
import { autoExecKind } from '../policy/programs/autoexec-paths.js';
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
  return paths
    .map((p) => {
      // a file that runs later (Makefile, git hook, .bashrc …): the text written is judged as run (decision 0124)
      const text =
        autoExecKind(p.startsWith('/') ? p : `/${p}`) === undefined ? undefined : writtenText(toolName, toolInput, p);
      return text !== undefined && text.length <= MAX_JUDGED_TEXT
        ? `echo ${shQuote(text)} > ${shQuote(p)}`
        : `: > ${shQuote(p)}`;
    })
    .join('; ');
}

/** Largest text of a file tool judged as commands; a larger write into a file that runs later is held. */
const MAX_JUDGED_TEXT = 64 * 1024;

/**
 * The text a file tool writes into `path`, as far as its input shows: the whole content (Write,
 * write_file), the replacement text (Edit, replace, MultiEdit), a patch's added lines. Undefined
 * when the input does not show it (a move, a notebook): then the write is judged as unknown content.
 */
export function writtenText(tool: string, input: Record<string, unknown>, path: string): string | undefined {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  if (tool === 'Write' || tool === 'write_file') return str(input['content']);
  if (tool === 'Edit' || tool === 'replace') return str(input['new_string']);
  if (tool === 'MultiEdit') {
    const edits = input['edits'];
    if (!Array.isArray(edits)) return undefined;
    const parts = edits.map((e) => str((e as Record<string, unknown> | null)?.['new_string']));
    return parts.every((x) => x !== undefined) ? parts.join('\n') : undefined;
  }
  if (tool === 'apply_patch') {
    const patch = str(input['command']);
    return patch === undefined ? undefined : patchAdded(patch, path);
  }
  return undefined;
}

/** The lines a patch adds to `path` (Add/Update File sections); undefined when it moves a file there. */
function patchAdded(patch: string, path: string): string | undefined {
  const out: string[] = [];
  let inFile = false;
  for (const line of patch.split('\n')) {
    const head = /^\*\*\* (Add File|Update File|Delete File|Move to|End Patch|Begin Patch)(?:: *(.+?))? *$/.exec(line);
    if (head !== null) {
      if (head[1] === 'Move to' && head[2] === path) return undefined;
      inFile = (head[1] === 'Add File' || head[1] === 'Update File') && head[2] === path;
      continue;
    }
    if (inFile && line.startsWith('+')) out.push(line.slice(1));
  }
  return out.join('\n');
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
