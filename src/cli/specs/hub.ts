import { defineCommand } from '../command.js';

const database = '--database <url>';
const databaseHelp = 'PostgreSQL URL (or set GUARD_HUB_DATABASE_URL, which keeps the password out of ps)';

export const hubSpec = defineCommand({
  name: 'hub',
  summary: 'run or join a guard hub: one approval queue and one Slack endpoint for many hosts (docs/hub.md)',
  define() {},
  async run() {
    return 0;
  },
  subcommands: [
    defineCommand({
      name: 'start',
      summary: 'run a hub replica against PostgreSQL (applies migrations; run as many replicas as wanted)',
      define(cmd) {
        cmd
          .option(database, databaseHelp)
          .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8470')
          .option('--config <file>', 'a config.yaml whose channels.slack section the hub serves');
      },
      async run(io, _args, opts) {
        const { hubStart } = await import('../commands/hub.js');
        return hubStart(io, opts);
      },
    }),
    defineCommand({
      name: 'enroll-host',
      summary: 'mint a one-time enrolment token for a host (admin; talks to the database)',
      define(cmd) {
        cmd.option(database, databaseHelp).requiredOption('--name <host>', 'the host name shown to approvers');
      },
      async run(io, _args, opts) {
        const { hubEnrollHost } = await import('../commands/hub.js');
        return hubEnrollHost(io, opts);
      },
    }),
    defineCommand({
      name: 'hosts',
      summary: 'list enrolled hosts, when each last reached the hub, and their open requests (admin)',
      define(cmd) {
        cmd.option(database, databaseHelp).option('--json', 'print machine-readable JSON');
      },
      async run(io, _args, opts) {
        const { hubHosts } = await import('../commands/hub.js');
        return hubHosts(io, opts);
      },
    }),
    defineCommand({
      name: 'export',
      summary: "write a host's ledger bundle from the hub's forwarded copy (verify with the host's pinned key)",
      define(cmd) {
        cmd
          .option(database, databaseHelp)
          .requiredOption('--host <name>', 'the enrolled host name')
          .requiredOption(
            '--period <from..to>',
            'YYYY-MM-DD..YYYY-MM-DD (both days included) or ISO times (end excluded)',
          )
          .requiredOption('--out <file>', 'the bundle to write')
          .option('--json', 'print machine-readable JSON');
      },
      async run(io, _args, opts) {
        const { hubExport } = await import('../commands/hub.js');
        return hubExport(io, opts);
      },
    }),
    defineCommand({
      name: 'join',
      summary: 'exchange an enrolment token for this host credential; prints the hub: config section',
      define(cmd) {
        cmd
          .requiredOption('--hub <url>', 'the hub URL')
          .requiredOption('--token-file <file>', 'file holding the enrolment token from `guard hub enroll-host`')
          .option('--ledger-key <file>', 'the ledger key file to pin on the hub (default GUARD_HOME/ledger.pub)');
      },
      async run(io, _args, opts) {
        const { hubJoin } = await import('../commands/hub.js');
        return hubJoin(io, opts);
      },
    }),
  ],
});
