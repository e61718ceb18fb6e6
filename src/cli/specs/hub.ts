import { defineCommand, defineGroup, type Declaration, type OptionsOf } from '../command.js';

const database = '--database <url>' as const;
const databaseHelp = 'PostgreSQL URL (or set GUARD_HUB_DATABASE_URL, which keeps the password out of ps)';

const startOptions = (cmd: Declaration) =>
  cmd
    .option(database, databaseHelp)
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8470')
    .option(
      '--config <file>',
      'a config.yaml whose channels.slack section the hub serves (and identity: for the web page)',
    )
    .option(
      '--public-url <url>',
      "the hub's base URL as callers reach it through a proxy: the web approval page and webhook callback URLs",
    );
export type HubStartOptions = OptionsOf<typeof startOptions>;

const enrollHostOptions = (cmd: Declaration) =>
  cmd.option(database, databaseHelp).requiredOption('--name <host>', 'the host name shown to approvers');
export type HubEnrollHostOptions = OptionsOf<typeof enrollHostOptions>;

const hostsOptions = (cmd: Declaration) =>
  cmd.option(database, databaseHelp).option('--json', 'print machine-readable JSON');
export type HubHostsOptions = OptionsOf<typeof hostsOptions>;

const exportOptions = (cmd: Declaration) =>
  cmd
    .option(database, databaseHelp)
    .requiredOption('--host <name>', 'the enrolled host name')
    .requiredOption('--period <from..to>', 'YYYY-MM-DD..YYYY-MM-DD (both days included) or ISO times (end excluded)')
    .requiredOption('--out <file>', 'the bundle to write')
    .option('--json', 'print machine-readable JSON');
export type HubExportOptions = OptionsOf<typeof exportOptions>;

const joinOptions = (cmd: Declaration) =>
  cmd
    .requiredOption('--hub <url>', 'the hub URL')
    .requiredOption('--token-file <file>', 'file holding the enrolment token from `guard hub enroll-host`')
    .option('--ledger-key <file>', 'the ledger key file to pin on the hub (default GUARD_HOME/ledger.pub)');
export type HubJoinOptions = OptionsOf<typeof joinOptions>;

/** What every admin sub-command that talks to the database reads. */
export type HubDatabaseOptions = Pick<HubHostsOptions, 'database'>;

export const hubSpec = defineGroup({
  name: 'hub',
  summary: 'run or join a guard hub: one approval queue and one Slack endpoint for many hosts (docs/hub.md)',
  subcommands: [
    defineCommand({
      name: 'start',
      summary: 'run a hub replica against PostgreSQL (applies migrations; run as many replicas as wanted)',
      define: startOptions,
      async run(io, _args, opts) {
        const { hubStart } = await import('../commands/hub.js');
        return hubStart(io, opts);
      },
    }),
    defineCommand({
      name: 'enroll-host',
      summary: 'mint a one-time enrolment token for a host (admin; talks to the database)',
      define: enrollHostOptions,
      async run(io, _args, opts) {
        const { hubEnrollHost } = await import('../commands/hub.js');
        return hubEnrollHost(io, opts);
      },
    }),
    defineCommand({
      name: 'hosts',
      summary: 'list enrolled hosts, when each last reached the hub, and their open requests (admin)',
      define: hostsOptions,
      async run(io, _args, opts) {
        const { hubHosts } = await import('../commands/hub.js');
        return hubHosts(io, opts);
      },
    }),
    defineCommand({
      name: 'export',
      summary: "write a host's ledger bundle from the hub's forwarded copy (verify with the host's pinned key)",
      define: exportOptions,
      async run(io, _args, opts) {
        const { hubExport } = await import('../commands/hub.js');
        return hubExport(io, opts);
      },
    }),
    defineCommand({
      name: 'join',
      summary: 'exchange an enrolment token for this host credential; prints the hub: config section',
      define: joinOptions,
      async run(io, _args, opts) {
        const { hubJoin } = await import('../commands/hub.js');
        return hubJoin(io, opts);
      },
    }),
  ],
});
