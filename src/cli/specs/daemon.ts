import type { Command } from 'commander';
import { defineCommand } from '../command.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export const daemonSpec = defineCommand({
  name: 'daemon',
  summary: 'start, stop or inspect the guard daemon (policy, approvals, ledger)',
  define(cmd: Command) {
    cmd.addHelpText(
      'after',
      `
The daemon listens on GUARD_HOME/run/guard.sock (a 0700 directory). \`guard exec\` starts it on
demand; set GUARD_NO_AUTOSTART=1 to forbid that (then an unreachable daemon means exit 70).
GUARD_SOCKET=/abs/path names the socket instead (hardened mode: the daemon runs as its own user;
clients never autostart a daemon for a GUARD_SOCKET). See docs/deployment.md.`,
    );
  },
  async run() {
    return 0;
  },
  subcommands: [
    defineCommand({
      name: 'start',
      summary: 'start the daemon (in the background unless --foreground)',
      define(cmd) {
        cmd
          .option('--foreground', 'run in this process; log to stderr and GUARD_HOME/daemon.log')
          .option('--policy <file>', 'use this policy file instead of the layered search (repeatable)', collect)
          .option(
            '--socket-mode <octal>',
            'permissions of the socket file (default 600; hardened mode: 660 with a shared group)',
          );
      },
      async run(io, _args, opts) {
        const { daemonStart } = await import('../commands/daemon.js');
        return daemonStart(io, opts);
      },
    }),
    defineCommand({
      name: 'stop',
      summary:
        'stop the running daemon (pending requests are kept); refused by a daemon whose socket is group-shared: use a signal',
      define() {},
      async run(io) {
        const { daemonStop } = await import('../commands/daemon.js');
        return daemonStop(io);
      },
    }),
    defineCommand({
      name: 'status',
      summary: 'show whether the daemon runs, its policy, open requests and channels (exit 70 when not running)',
      define(cmd) {
        cmd.option('--json', 'print machine-readable JSON');
      },
      async run(io, _args, opts) {
        const { daemonStatus } = await import('../commands/daemon.js');
        return daemonStatus(io, opts);
      },
    }),
  ],
});
