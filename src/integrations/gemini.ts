/**
 * Gemini CLI: a `BeforeTool` command hook with matcher `run_shell_command`. Input: session_id,
 * transcript_path, cwd, hook_event_name, timestamp, tool_name, tool_input {command, description,
 * dir_path}. Output: `decision: "deny"` + `reason` blocks (the reason goes to the model);
 * `hookSpecificOutput.tool_input` is merged over the model's arguments. Exit code 2 blocks with
 * stderr as the reason; any other exit is only a warning, so guard's failures exit 2.
 * Source: google-gemini/gemini-cli docs/hooks/reference.md and docs/hooks/index.md.
 */
import { parseToolHook, toolHookRender } from './pretooluse.js';
import type { AgentAdapter } from './types.js';

export const geminiAdapter: AgentAdapter = {
  name: 'gemini',
  canRewrite: true,
  // Gemini 0.61 runs BeforeTool hooks first and its own policy on the hook's rewritten input; a
  // rewrite needs no decision there, so `--allowed record` stays possible (default: pass, 0816)
  rewriteSkipsOwnChecks: false,
  parse: (input, cwd) =>
    parseToolHook(input, cwd, { event: 'BeforeTool', tool: 'run_shell_command', dirKeys: ['dir_path', 'directory'] }),
  render: toolHookRender({
    deny: (reason) => ({ decision: 'deny', reason }),
    // tool_input is merged over the model's arguments: only the command changes
    rewrite: (_call, v) => ({
      systemMessage: `guard: ${v.reason}`,
      hookSpecificOutput: { hookEventName: 'BeforeTool', tool_input: { command: v.command } },
    }),
  }),
};
