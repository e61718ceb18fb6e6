import type { Command, OptionValues } from '@commander-js/extra-typings';
import { defineCommand, type Declaration, type OptionsOf } from '../command.js';

/** Options shared by `guard tui` and `guard approve` without an id (which opens the same TUI). */
export function tuiOptions<A extends unknown[], O extends OptionValues>(cmd: Command<A, O>) {
  return cmd
    .option(
      '--unlock-window <duration>',
      'terminal UI (guard tui, or guard approve without an id): how long your key stays unlocked after the passphrase (e.g. 10m, 1h; 0 = ask for every decision)',
      '10m',
    )
    .option(
      '--fresh-passphrase <risk>',
      'terminal UI: approving a request of this risk or higher always asks for the passphrase, unlock window or not (low, medium, high, critical, none)',
      'high',
    );
}

export const TUI_HELP = `
The terminal UI lists pending requests as the daemon pushes them (riskiest and newest first), shows
everything about the selected one, and lets you approve, deny (with a reason) or ask a question.
Each decision is signed with your approver key, exactly like \`guard approve ID\`; the passphrase is
asked once and the key stays unlocked for --unlock-window. Keys are shown in the footer.
Honours NO_COLOR. Needs a terminal; refuses to run inside an AI agent session.

Examples:
  guard tui
  guard approve                         # same, when no request id is given
  guard tui --as alice --unlock-window 5m
  guard tui --hub https://hub.example:8443  # the fleet's queue; decisions relayed to each host`;

export const tuiDeclaration = (cmd: Declaration) =>
  tuiOptions(
    cmd
      .option('--as <name>', 'approver name (default: GUARD_APPROVER, or the only key in your approver directory)')
      .option('--hub <url>', "the whole fleet's open requests from a guard hub, host shown per request (docs/hub.md)"),
  ).addHelpText('after', TUI_HELP);

export type TuiOptions = OptionsOf<typeof tuiDeclaration>;

export const tuiSpec = defineCommand({
  name: 'tui',
  summary: "open the approver's terminal UI: live pending requests, full context, signed decisions",
  define: tuiDeclaration,
  async run(io, _args, opts) {
    const { tuiCommand } = await import('../commands/tui.js');
    return tuiCommand(io, opts);
  },
});
