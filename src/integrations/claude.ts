/**
 * Claude Code: a `PreToolUse` command hook with matcher `Bash`. Input: session_id, transcript_path,
 * cwd, permission_mode, hook_event_name, tool_name, tool_input {command, description, timeout,
 * run_in_background}, tool_use_id. `updatedInput` replaces the whole tool input, so the other
 * fields are copied; a command that waits for approval gets the Bash tool's longest timeout.
 */
import { preToolUseAdapter } from './pretooluse.js';

/** The Bash tool's maximum timeout (10 minutes), in milliseconds. */
export const CLAUDE_MAX_BASH_TIMEOUT_MS = 600_000;

export const claudeAdapter = preToolUseAdapter({
  name: 'claude-code',
  event: 'PreToolUse',
  tool: 'Bash',
  rewriteNeedsAllow: false,
  rewriteExtras(_call, waitsForApproval) {
    return waitsForApproval ? { timeout: CLAUDE_MAX_BASH_TIMEOUT_MS } : {};
  },
});
