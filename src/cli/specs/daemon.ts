import { defineCommand, defineGroup, type Declaration, type OptionsOf } from '../command.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const startOptions = (cmd: Declaration) =>
  cmd
    .option('--foreground', 'run in this process; log to stderr and GUARD_HOME/daemon.log')
    .option('--policy <file>', 'use this policy file instead of the layered search (repeatable)', collect)
    .option(
      '--socket-mode <octal>',
      'permissions of the socket file (default 600; hardened mode: 660 with a shared group)',
    );
export type DaemonStartOptions = OptionsOf<typeof startOptions>;

const statusOptions = (cmd: Declaration) => cmd.option('--json', 'print machine-readable JSON');
export type DaemonStatusOptions = OptionsOf<typeof statusOptions>;

export const daemonSpec = defineGroup({
  name: 'daemon',
  summary: 'start, stop or inspect the guard daemon (policy, approvals, ledger)',
  define(cmd) {
    cmd.addHelpText(
      'after',
      `
The daemon listens on GUARD_HOME/run/guard.sock (a 0700 directory). \`guard exec\` starts it on
demand; set GUARD_NO_AUTOSTART=1 to forbid that (then an unreachable daemon means exit 70).
GUARD_SOCKET=/abs/path names the socket instead (hardened mode: the daemon runs as its own user;
clients never autostart a daemon for a GUARD_SOCKET). See docs/deployment.md.`,
    );
  },
  subcommands: [
    defineCommand({
      name: 'start',
      summary: 'start the daemon (in the background unless --foreground)',
      define: startOptions,
      async run(io, _args, opts) {
        const { daemonStart } = await import('../commands/daemon.js');
        return daemonStart(io, opts);
      },
    }),
    defineCommand({
      name: 'stop',
      summary:
        'stop the running daemon (pending requests are kept); refused by a daemon whose socket is group-shared: use a signal',
      define: (cmd) => cmd,
      async run(io) {
        const { daemonStop } = await import('../commands/daemon.js');
        return daemonStop(io);
      },
    }),
    defineCommand({
      name: 'status',
      summary: 'show whether the daemon runs, its policy, open requests and channels (exit 70 when not running)',
      define: statusOptions,
      async run(io, _args, opts) {
        const { daemonStatus } = await import('../commands/daemon.js');
        return daemonStatus(io, opts);
      },
    }),
  ],
});
