/**
 * Codex CLI: a `PreToolUse` command hook with matcher `Bash` (Codex reports every shell-like tool —
 * shell, local_shell, shell_command, exec_command — as `Bash` with `tool_input: {command}`).
 * `updatedInput` is honoured only with `permissionDecision: "allow"`; `ask` is not supported and
 * would fail open, so the adapter never sends it.
 */
import { preToolUseAdapter } from './pretooluse.js';

export const codexAdapter = preToolUseAdapter({
  name: 'codex',
  event: 'PreToolUse',
  tool: 'Bash',
  rewriteNeedsAllow: true,
  rewriteExtras: () => ({}),
});
