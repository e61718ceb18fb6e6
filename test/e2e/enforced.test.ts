/**
 * Enforced mode (docs/deployment.md, decision 1020): the agent's OS user holds no credential; the
 * daemon holds them and its executor runs a credentialed command as a runner user. Real OS users
 * (prefix `enf`), real privilege drops and capabilities (setpriv), a real PostgreSQL whose role
 * password only guard's store holds, the built CLI and a real daemon. Skipped with a printed
 * reason when not root or PostgreSQL is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/daemon/client.js';
import { ask } from '../../src/daemon/replies.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { collect, installApp, osUsersSkipReason, PATH, tearDown, type Run } from './os-users.js';

const SKIP = osUsersSkipReason() ?? postgresSkipReason();
if (SKIP !== undefined) console.log(`test/e2e/enforced.test.ts: enforced-mode suite skipped: ${SKIP}`);

const envArgs = (env: Record<string, string>): string[] => Object.entries(env).map(([k, v]) => `${k}=${v}`);
const CAPS = '+setuid,+setgid,+kill,+chown';
/** The line `bigout` repeats (17 bytes). */
const LINE = '0123456789abcdef\n';
const MiB = 1024 * 1024;

/** A /proc/PID/status field in KiB (VmRSS, VmHWM). */
const statusKiB = (pid: number, field: string): number =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
/** A /proc/PID/io counter (rchar, wchar); undefined once the process is gone. */
const ioCounter = (pid: number, field: string): number | undefined => {
  try {
    return Number(new RegExp(`^${field}: (\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
};
const tick = (): Promise<void> => new Promise((res) => setTimeout(res, 100));
/**
 * Wait until a counter has stopped moving (the same value five polls running) or is gone: the
 * event of a pipeline that has blocked. Returns the last value.
 */
async function settled(read: () => number | undefined): Promise<number | undefined> {
  let last = read();
  for (let same = 0; same < 5 && last !== undefined;) {
    await tick();
    const now = read();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

describe.skipIf(SKIP !== undefined)(
  'enforced mode: credentials only in the daemon, commands run by its executor',
  () => {
    const tag = randomBytes(3).toString('hex');
    const u = { daemon: `enfd${tag}`, agent: `enfa${tag}`, runner: `enfr${tag}`, group: `enfs${tag}` };
    const created: string[] = [];
    const id = { daemon: 0, daemonGid: 0, agent: 0, agentGid: 0, group: 0 };
    let base = '';
    let app = '';
    let home = '';
    let sock = '';
    let work = '';
    let tbin = '';
    let daemon: ChildProcess | undefined;
    let daemonLog = '';
    let pg: Postgres | undefined;
    const suiteStart = Date.now() - 1000;
    const kconf = `apiVersion: v1\n# kube-${randomBytes(8).toString('hex')}\n\u0000\u00ff binary tail\n`;
    const dbPassword = `enf-${randomBytes(12).toString('hex')}`;
    const token = `tok-${randomBytes(12).toString('hex')}`;

    const sh = (cmd: string, args: string[]): string => {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    };
    const num = (flag: string, who: string): number => Number(sh('id', [flag, who]).trim());

    const agentEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
      PATH,
      HOME: `/home/${u.agent}`,
      USER: u.agent,
      GUARD_SOCKET: sock,
      PGHOST: pg!.host,
      PGPORT: String(pg!.port),
      PGUSER: 'app',
      PGDATABASE: 'appdb',
      ...extra,
    });
    const asAgentArgv = (argv: string[], env = agentEnv()): string[] => [
      `--reuid=${id.agent}`,
      `--regid=${id.agentGid}`,
      '--init-groups',
      '--',
      'env',
      '-i',
      ...envArgs(env),
      ...argv,
    ];
    const asAgent = (argv: string[], env = agentEnv(), input?: string): Promise<Run> => {
      const child = spawn('setpriv', asAgentArgv(argv, env), { cwd: work });
      const done = collect(child);
      child.stdin.end(input ?? '');
      return done;
    };
    const guard = (args: string[], env = agentEnv(), input?: string): Promise<Run> =>
      asAgent([process.execPath, join(app, 'bin', 'guard.js'), ...args], env, input);
    /** guard as root (the administrator) over the daemon's socket. */
    const admin = (args: string[], extra: Record<string, string> = {}): Promise<Run> => {
      const child = spawn(
        'env',
        [
          '-i',
          ...envArgs({ PATH, HOME: base, GUARD_SOCKET: sock, ...extra }),
          process.execPath,
          join(app, 'bin', 'guard.js'),
          ...args,
        ],
        { cwd: base },
      );
      child.stdin.end();
      return collect(child);
    };
    /** `guard exec -- argv` as the agent, resolved once the command echoed `ready` (it runs). */
    const runningCommand = async (
      argv: string[],
      input: string,
    ): Promise<{ child: ChildProcess; done: Promise<Run> }> => {
      const child = spawn(
        'setpriv',
        asAgentArgv([process.execPath, join(app, 'bin', 'guard.js'), 'exec', '--', ...argv]),
        {
          cwd: work,
        },
      );
      const done = collect(child);
      await new Promise<void>((res) => {
        let seen = '';
        child.stdout.on('data', (b: Buffer) => {
          seen += b.toString();
          if (seen.includes('ready')) res();
        });
        child.stdin.write(input);
      });
      return { child, done };
    };
    const tableExists = (): boolean =>
      pg!.sql(`select count(*) from pg_tables where tablename = 't'`, 'appdb').trim() === '1';

    // the administrator's policy, given with --policy (an explicit file counts as written)
    const POLICY = `version: 1
default: allow
rules:
  - id: enf.db
    description: the application database, with the db credential
    effect: allow
    credentials: [db]
    match: { program: psql }
  - id: enf.db-prod
    description: a production database is never reached through the agent
    effect: deny
    match: { program: psql, env: { PGDATABASE: 'prod*' } }
  - id: enf.db-drop
    description: dropping a table needs a human
    effect: approve
    credentials: [db]
    match: { program: psql, text: '\\bdrop\\b' }
    approval: { timeout: 60s }
  - id: enf.tools
    description: test programs run with the tok credential
    effect: allow
    credentials: [tok]
    match: { program: [cat, exitwith, killself, printenv, bigout, ignorein] }
  - id: enf.mint
    description: a program that receives a short-lived minted token
    effect: allow
    credentials: [minted]
    match: { program: showmint }
  - id: enf.file
    description: a program that receives a file credential
    effect: allow
    credentials: [kube]
    match: { program: showfile }
`;

    beforeAll(async () => {
      try {
        pg = await startPostgres();
        pg.sql(`create role app login password '${dbPassword}'`);
        pg.sql('create database appdb owner app');
        pg.sql('create table t (x int); alter table t owner to app', 'appdb');
        sh('groupadd', [u.group]);
        created.push(`group:${u.group}`);
        for (const n of [u.daemon, u.agent, u.runner]) {
          sh('useradd', ['-m', '-U', ...(n === u.runner ? [] : ['-G', u.group]), '-s', '/bin/sh', n]);
          created.push(n);
        }
        id.daemon = num('-u', u.daemon);
        id.daemonGid = num('-g', u.daemon);
        id.agent = num('-u', u.agent);
        id.agentGid = num('-g', u.agent);
        id.group = Number(sh('getent', ['group', u.group]).split(':')[2]);
        base = mkdtempSync('/tmp/enf-');
        chmodSync(base, 0o755);
        // a copy (not a link) of node_modules: the checkout may sit under a 0700 directory
        app = installApp(base);
        // trusted programs for the executor: root-owned, in a root-owned directory
        tbin = join(base, 'tbin');
        mkdirSync(tbin, { mode: 0o755 });
        writeFileSync(join(tbin, 'exitwith'), '#!/bin/sh\nexit "$1"\n', { mode: 0o755 });
        writeFileSync(join(tbin, 'killself'), '#!/bin/sh\nkill -s "$1" $$\n', { mode: 0o755 });
        writeFileSync(join(tbin, 'showmint'), '#!/bin/sh\nprintf "%s" "$MINTED"\n', { mode: 0o755 });
        writeFileSync(join(tbin, 'showfile'), '#!/bin/sh\ncat "$KCONF"\n', { mode: 0o755 });
        // writes $1 bytes of a known pattern (head is the writer); says ready, then never reads stdin
        writeFileSync(join(tbin, 'bigout'), `#!/bin/sh\nyes ${LINE.trimEnd()} | head -c "$1"\n`, { mode: 0o755 });
        writeFileSync(join(tbin, 'ignorein'), '#!/bin/sh\necho ready\nexec sleep 600\n', { mode: 0o755 });
        // the mint program: prints a fresh token for each run, told its lifetime in GUARD_MINT_TTL
        writeFileSync(join(tbin, 'mint'), '#!/bin/sh\necho "minted-$GUARD_MINT_TTL-$$"\n', { mode: 0o755 });
        writeFileSync(join(tbin, 'showmint'), '#!/bin/sh\nprintf "%s" "$MINTED"\n', { mode: 0o755 });
        // the mint program: prints a fresh token for each run, told its lifetime in GUARD_MINT_TTL
        writeFileSync(join(tbin, 'mint'), '#!/bin/sh\necho "minted-$GUARD_MINT_TTL-$$"\n', { mode: 0o755 });
        home = join(base, 'home');
        mkdirSync(home, { mode: 0o700 });
        chownSync(home, id.daemon, id.daemonGid);
        writeFileSync(join(base, 'policy.yaml'), POLICY, { mode: 0o644 });
        const sockDir = join(base, 'sock');
        mkdirSync(sockDir);
        chownSync(sockDir, id.daemon, id.group);
        chmodSync(sockDir, 0o2710);
        sock = join(sockDir, 'guard.sock');
        work = join(base, 'work');
        mkdirSync(work, { mode: 0o755 });
        chownSync(work, id.agent, id.agentGid);
        chmodSync(work, 0o755);
        daemon = await startDaemon();
        // the administrator moves the credentials into guard (values from root-only files)
        const secret = join(base, 'db.secret');
        writeFileSync(secret, `${dbPassword}\n`, { mode: 0o600 });
        const add = await admin(['credential', 'add', 'db', '--env', 'PGPASSWORD', '--from-file', secret]);
        if (add.code !== 0) throw new Error(`credential add failed: ${add.stderr}`);
        writeFileSync(join(base, 'tok.secret'), token, { mode: 0o600 });
        const tok = await admin([
          'credential',
          'add',
          'tok',
          '--env',
          'TOKEN',
          '--from-file',
          join(base, 'tok.secret'),
        ]);
        if (tok.code !== 0) throw new Error(`credential add failed: ${tok.stderr}`);
        writeFileSync(join(base, 'mint.path'), join(tbin, 'mint'), { mode: 0o600 });
        const minted = await admin([
          'credential',
          'add',
          'minted',
          '--mint',
          'MINTED',
          '--ttl',
          '600',
          '--from-file',
          join(base, 'mint.path'),
        ]);
        if (minted.code !== 0) throw new Error(`credential add failed: ${minted.stderr}`);
        writeFileSync(join(base, 'kconf'), kconf, { mode: 0o600 });
        const file = await admin(['credential', 'add', 'kube', '--file', 'KCONF', '--from-file', join(base, 'kconf')]);
        if (file.code !== 0) throw new Error(`credential add failed: ${file.stderr}`);
        // an approver, enrolled through the daemon by the administrator (root)
        writeFileSync(join(base, 'alice.pass'), 'correct horse alice battery staple\n', { mode: 0o600 });
        const enroll = await admin(
          ['approver', 'enroll', '--name', 'alice', '--group', 'ops', '--passphrase-file', join(base, 'alice.pass')],
          { GUARD_APPROVER_HOME: join(base, 'alice-keys'), GUARD_KEYSTORE: 'file' },
        );
        if (enroll.code !== 0) throw new Error(`enroll failed: ${enroll.stderr}`);
      } catch (err) {
        await cleanup();
        throw err;
      }
    }, 120_000);

    async function startDaemon(): Promise<ChildProcess> {
      const env = {
        PATH,
        HOME: `/home/${u.daemon}`,
        USER: u.daemon,
        GUARD_HOME: home,
        GUARD_SOCKET: sock,
        GUARD_KEYSTORE: 'file',
        GUARD_RUNNER_USER: u.runner,
        GUARD_EXECUTOR_ENV: 'PGHOST,PGPORT,PGUSER,PGDATABASE,LANG',
        GUARD_EXECUTOR_PATH: `${tbin}:/usr/bin:/bin`,
        GUARD_DAEMON_READY_FD: '3',
      };
      const child = spawn(
        'setpriv',
        [
          `--reuid=${id.daemon}`,
          `--regid=${id.daemonGid}`,
          '--init-groups',
          `--inh-caps=${CAPS}`,
          `--ambient-caps=${CAPS}`,
          '--',
          'env',
          '-i',
          ...envArgs(env),
          process.execPath,
          join(app, 'bin', 'guard.js'),
          'daemon',
          'start',
          '--foreground',
          '--socket-mode',
          '660',
          '--policy',
          join(base, 'policy.yaml'),
        ],
        { cwd: base, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
      );
      child.stdout!.on('data', (c: Buffer) => (daemonLog += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (daemonLog += c.toString()));
      await new Promise<void>((res, rej) => {
        (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => {
          if (c.toString().includes('ready')) res();
        });
        child.on('exit', (code) => rej(new Error(`daemon exited ${code}: ${daemonLog}`)));
      });
      return child;
    }

    async function cleanup(): Promise<void> {
      await tearDown(daemon, created, base);
      await pg?.destroy();
    }
    afterAll(cleanup);

    it('the agent alone cannot reach the database: plain psql has no password', async () => {
      const r = await asAgent(['psql', '-Atc', 'select 1']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/password/i);
    });

    it('guard exec -- psql under an allow rule with credentials: [db] returns the row', async () => {
      const r = await guard(['exec', '--', 'psql', '-Atc', 'select 1']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('1\n');
    });

    it('passes the daemon-built environment only: the credential, allow-listed variables, no agent variables', async () => {
      const r = await guard(['exec', '--', 'printenv'], agentEnv({ AGENT_SECRET: 'from-agent', LANG: 'C.UTF-8' }));
      expect(r.code, r.stderr).toBe(0);
      const vars = Object.fromEntries(
        r.stdout
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      expect(vars['TOKEN']).toBe(token);
      expect(vars['LANG']).toBe('C.UTF-8');
      expect(vars['PGHOST']).toBe(pg!.host);
      expect(vars['USER']).toBe(u.runner);
      expect(vars['PATH']).toBe(`${tbin}:/usr/bin:/bin`);
      expect(vars['AGENT_SECRET']).toBeUndefined();
      expect(vars['GUARD_SOCKET']).toBeUndefined();
      expect(vars['PGPASSWORD']).toBeUndefined();
    });

    it('only the daemon user or root manages credentials; the agent is refused and the refusal recorded', async () => {
      writeFileSync(join(work, 'mine'), 'x');
      const r = await guard(['credential', 'add', 'evil', '--env', 'X', '--from-file', join(work, 'mine')]);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/may not manage credentials/);
      const list = await guard(['credential', 'list']);
      expect(list.code).not.toBe(0);
      const own = await admin(['credential', 'list', '--json']);
      expect(own.code, own.stderr).toBe(0);
      const names = (JSON.parse(own.stdout) as { credentials: { name: string; version: number }[] }).credentials;
      expect(names.map((c) => c.name)).toEqual(['db', 'kube', 'minted', 'tok']);
      expect(own.stdout).not.toContain(dbPassword);
    });

    it('stdio is byte-exact through the executor, in both directions', async () => {
      const bytes = Buffer.from([...Array(256).keys()]);
      const payload = Buffer.concat(Array.from({ length: 4096 }, () => bytes)); // 1 MiB, every byte value
      const child = spawn(
        'setpriv',
        asAgentArgv([process.execPath, join(app, 'bin', 'guard.js'), 'exec', '--', 'cat']),
        {
          cwd: work,
        },
      );
      const out: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      const done = collect(child);
      child.stdin.end(payload);
      const r = await done;
      expect(r.code, r.stderr).toBe(0);
      expect(Buffer.concat(out).equals(payload)).toBe(true);
    });

    it("a command's stdio connections need the offer's token, and each stream is taken once", async () => {
      const c = await DaemonClient.connect(sock);
      const streams: DaemonClient[] = [];
      const stream = async (token: string, name: 'stdin' | 'stdout' | 'stderr') => {
        const s = await DaemonClient.connect(sock);
        streams.push(s);
        return ask(s, { type: 'exec_stream', execId, token, stream: name });
      };
      let execId = '';
      try {
        const o = await ask(c, {
          type: 'exec',
          argv: ['cat'],
          cwd: work,
          context: { requester: { user: 'root', agent: 'test' } },
          binding: { env: {}, targets: [null] },
          noWait: false,
        });
        if (o.outcome !== 'run' || o.executor === undefined) throw new Error(`not executed: ${JSON.stringify(o)}`);
        execId = o.execId;
        const token = o.executor.token;
        await expect(stream(randomBytes(16).toString('hex'), 'stdout')).rejects.toMatchObject({ code: 'not_found' });
        await expect(stream(token, 'stdout')).resolves.toBeNull();
        await expect(stream(token, 'stdout')).rejects.toMatchObject({ code: 'not_found' });
        // exec_run before the other two arrived: refused, nothing runs
        await expect(ask(c, { type: 'exec_run', execId, env: {} })).rejects.toMatchObject({
          code: 'refused',
          message: expect.stringMatching(/did not arrive before exec_run; nothing was run/) as string,
        });
      } finally {
        for (const s of [c, ...streams]) s.close();
      }
    });

    it('exit codes 0..255 and 128+N for signals match', async () => {
      for (const code of [0, 1, 2, 42, 126, 127, 128, 200, 255]) {
        const r = await guard(['exec', '--', 'exitwith', String(code)]);
        expect({ code, got: r.code }).toEqual({ code, got: code });
      }
      for (const [sig, n] of [
        ['TERM', 15],
        ['KILL', 9],
        ['INT', 2],
      ] as const) {
        const r = await guard(['exec', '--', 'killself', sig]);
        expect({ sig, got: r.code }).toEqual({ sig, got: 128 + n });
      }
    });

    it('a signal to guard exec reaches the executed command', async () => {
      // cat echoes: once "ready" comes back, the command runs under the runner user
      const { child, done } = await runningCommand(['cat'], 'ready\n');
      child.kill('SIGTERM');
      const r = await done;
      expect(r.code, r.stderr).toBe(128 + 15);
    });

    it('refuses a program outside the trusted PATH and a credentialed command inside a shell', async () => {
      const own = join(work, 'bin');
      mkdirSync(own);
      writeFileSync(join(own, 'psql'), '#!/bin/sh\nenv > "$HOME/stolen"\n', { mode: 0o755 });
      chownSync(own, id.agent, id.agentGid);
      chownSync(join(own, 'psql'), id.agent, id.agentGid);
      // program swap on PATH: the executor resolves psql from its own trusted PATH
      const swapped = await guard(['exec', '--', 'psql', '-Atc', 'select 2'], agentEnv({ PATH: `${own}:${PATH}` }));
      expect(swapped.code, swapped.stderr).toBe(0);
      expect(swapped.stdout).toBe('2\n');
      // the agent's own program named directly: refused, nothing runs (it is a shell script, which
      // the policy judges by its content (decision 0125), so the executor refuses it as not one
      // plain program before it would look it up outside its trusted PATH)
      const direct = await guard(['exec', '--', join(own, 'psql'), '-c', 'select 1']);
      expect(direct.code).not.toBe(0);
      expect(direct.stderr).toMatch(/not found in the executor's trusted PATH|must be one plain program/);
      // a binary of its own under the same name: not in the executor's trusted PATH
      const ownBin = join(work, 'bin2');
      mkdirSync(ownBin);
      copyFileSync('/bin/true', join(ownBin, 'psql'));
      chownSync(ownBin, id.agent, id.agentGid);
      const binary = await guard(['exec', '--', join(ownBin, 'psql'), '-c', 'select 1']);
      expect(binary.code).not.toBe(0);
      expect(binary.stderr).toMatch(/not found in the executor's trusted PATH/);
      const shell = await guard(['exec', '--', 'sh', '-c', 'psql -c "select 1"; printenv PGPASSWORD']);
      expect(shell.code).not.toBe(0);
      expect(shell.stderr).toMatch(/must be one plain program/);
      expect(shell.stdout).not.toContain(dbPassword);
      expect(readdirSync(`/home/${u.agent}`)).not.toContain('stolen');
    });

    it('GUARD_SOCKET pointed at a fake daemon that answers "run" gains nothing: no credential', async () => {
      const fakeDir = mkdtempSync(join(base, 'fake-'));
      chownSync(fakeDir, id.agent, id.agentGid);
      const fakeSock = join(fakeDir, 'fake.sock');
      const server: Server = createServer((s) => {
        let buf = Buffer.alloc(0);
        s.on('data', (c: Buffer) => {
          buf = Buffer.concat([buf, c]);
          while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
            const msg = JSON.parse(buf.subarray(4, 4 + buf.readUInt32BE(0)).toString()) as { id: number; type: string };
            buf = buf.subarray(4 + buf.readUInt32BE(0));
            const data = msg.type === 'exec' ? { outcome: 'run', execId: 'e1', requestId: 'r1' } : { recorded: true };
            const body = Buffer.from(JSON.stringify({ re: msg.id, type: 'result', data }));
            const head = Buffer.alloc(4);
            head.writeUInt32BE(body.length);
            s.write(Buffer.concat([head, body]));
          }
        });
      });
      await new Promise<void>((r) => server.listen(fakeSock, r));
      chownSync(fakeSock, id.agent, id.agentGid);
      try {
        const r = await guard(['exec', '--', 'psql', '-Atc', 'drop table t'], agentEnv({ GUARD_SOCKET: fakeSock }));
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/password/i);
        expect(tableExists()).toBe(true);
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    });

    const decide = (verb: 'approve' | 'deny', id: string): Promise<Run> =>
      admin([verb, id, '--as', 'alice', '--passphrase-file', join(base, 'alice.pass'), '--reason', 'test'], {
        GUARD_APPROVER_HOME: join(base, 'alice-keys'),
      });

    it('a held drop never touches the table when denied or expired', async () => {
      const held = await guard(['exec', '--no-wait', '--', 'psql', '-Atc', 'drop table t']);
      expect(held.code, held.stderr).toBe(75);
      const id = held.stdout.trim();
      expect(tableExists()).toBe(true);
      const no = await decide('deny', id);
      expect(no.code, no.stderr).toBe(0);
      const again = await guard(['exec', '--no-wait', '--', 'psql', '-Atc', 'drop table t']);
      expect(again.code, again.stderr).toBe(75); // a new request: the denial granted nothing
      expect(again.stdout.trim()).not.toBe(id);
      const expired = await guard(['exec', '--timeout', '1s', '--', 'psql', '-Atc', 'drop table t']);
      expect(expired.code).not.toBe(0);
      expect(expired.stderr).toMatch(/nothing was run/);
      expect(tableExists()).toBe(true);
    });

    it('a held drop runs in the executor after a signed approval and drops the table', async () => {
      const held = await guard(['exec', '--no-wait', '--', 'psql', '-Atc', 'drop table t']);
      expect(held.code, held.stderr).toBe(75);
      expect(tableExists()).toBe(true);
      const yes = await decide('approve', held.stdout.trim());
      expect(yes.code, yes.stderr).toBe(0);
      const run = await guard(['exec', '--', 'psql', '-Atc', 'drop table t']);
      expect(run.code, run.stderr).toBe(0);
      expect(tableExists()).toBe(false);
    });

    it('a file credential is a private file for one run, byte for byte, removed after it', async () => {
      const r = await guard(['exec', '--', 'showfile']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(kconf);
      expect(readdirSync('/tmp').filter((f) => f.startsWith('guard-run-'))).toEqual([]);
    });

    it('guard doctor as the agent passes on this setup and fails, naming the file or variable, when a credential leaks', async () => {
      type Doctor = { checks: { name: string; status: string; detail: string }[] };
      const enforced = async (env = agentEnv()): Promise<Doctor['checks']> => {
        const r = await guard(['doctor', '--json'], env);
        return (JSON.parse(r.stdout) as Doctor).checks.filter((c) => c.name.startsWith('enforced'));
      };
      // useradd made the runner's home 0755 (login.defs UMASK 022): its files are readable
      const runnerHome = `/home/${u.runner}`;
      if ((statSync(runnerHome).mode & 0o077) !== 0) {
        const open = (await enforced()).find((c) => c.name === 'enforced files')!;
        expect(open.status).toBe('fail');
        expect(open.detail).toContain(runnerHome);
      }
      chmodSync(runnerHome, 0o700);
      const good = await enforced();
      expect(good.map((c) => [c.name, c.status])).toEqual([
        ['enforced files', 'ok'],
        ['enforced credentials', 'ok'],
      ]);
      // the password in the agent's own environment: the program works without guard
      const env = await enforced(agentEnv({ PGPASSWORD: 'anything' }));
      const cred = env.find((c) => c.name === 'enforced credentials')!;
      expect(cred.status).toBe('fail');
      expect(cred.detail).toContain('PGPASSWORD (credential db)');
      // a credential file made world-readable (with the directories above it)
      const dir = join(home, 'credentials');
      const file = join(
        dir,
        readdirSync(dir).find((f) => f.startsWith('credential-db-'))!,
      );
      const modes = [home, dir, file].map((p) => statSync(p).mode & 0o7777);
      try {
        chmodSync(home, 0o711);
        chmodSync(dir, 0o711);
        chmodSync(file, 0o644);
        const bad = (await enforced()).find((c) => c.name === 'enforced files')!;
        expect(bad.status).toBe('fail');
        expect(bad.detail).toContain(file);
      } finally {
        [home, dir, file].forEach((p, i) => chmodSync(p, modes[i]!));
      }
      expect((await enforced()).every((c) => c.status === 'ok')).toBe(true);
    }, 180_000); // five doctor runs: minutes on a loaded machine

    it('a minted credential is fresh for each run and its expiry is recorded', async () => {
      const a = await guard(['exec', '--', 'showmint']);
      const b = await guard(['exec', '--', 'showmint']);
      expect(a.code, a.stderr).toBe(0);
      expect(a.stdout).toMatch(/^minted-600-\d+$/);
      expect(b.stdout).not.toBe(a.stdout);
    });

    it('the password is nowhere the agent can read: running child env, /proc, temp files, ledger, daemon.log', async () => {
      // a credentialed psql stays running while its stdin is open
      const { child, done } = await runningCommand(['psql', '-At'], "select 'ready';\n");
      const probe = `
      const fs = require('node:fs');
      const needle = process.env.NEEDLE_HEX && Buffer.from(process.env.NEEDLE_HEX, 'hex');
      const hits = [];
      const check = (p) => { try { if (fs.readFileSync(p).includes(needle)) hits.push(p); } catch {} };
      for (const pid of fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d)))
        for (const f of ['environ', 'cmdline']) check('/proc/' + pid + '/' + f);
      // every file written since this suite started (older files cannot hold this run's secret)
      const since = Number(process.env.SINCE);
      const recent = (p) => { try { const st = fs.statSync(p); return st.mtimeMs >= since && st.size < 1 << 24; } catch { return false; } };
      const walk = (d, depth) => { if (depth > 8) return; let es; try { es = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
        for (const e of es) { const p = d + '/' + e.name; if (e.isDirectory()) walk(p, depth + 1); else if (e.isFile() && recent(p)) check(p); } };
      for (const d of ['/tmp', '/var/tmp', '/dev/shm', process.env.HOME]) walk(d, 0);
      console.log(JSON.stringify(hits));`;
      const scan = await asAgent([process.execPath, '-e', probe], {
        PATH,
        HOME: `/home/${u.agent}`,
        NEEDLE_HEX: Buffer.from(dbPassword).toString('hex'),
        SINCE: String(suiteStart),
      });
      child.stdin!.end('\\q\n');
      const r = await done;
      expect(r.code, r.stderr).toBe(0);
      expect(scan.code, scan.stderr).toBe(0);
      expect(JSON.parse(scan.stdout)).toEqual([]);
      // the daemon's own files, read as root: the value is never written there
      const files = [join(home, 'ledger.db'), join(home, 'daemon.log')];
      for (const f of readdirSync(home))
        if (f.startsWith('ledger.db-') || f.startsWith('state.db')) files.push(join(home, f));
      for (const f of files) expect({ f, leak: readFileSync(f).includes(dbPassword) }).toEqual({ f, leak: false });
      expect(daemonLog).not.toContain(dbPassword);
    }, 120_000);

    it('the password is not in the socket traffic: a recording proxy the agent puts before the daemon sees none', async () => {
      // the strongest view of the traffic the agent's user has: its own proxy between guard exec and
      // the daemon, forwarding and recording every byte of every connection (the exec request and
      // the stdio streams), while a credentialed psql prints a row
      const proxyDir = mkdtempSync(join(base, 'proxy-'));
      chownSync(proxyDir, id.agent, id.agentGid);
      const probe = `
      const net = require('node:net');
      const { spawn } = require('node:child_process');
      const needle = Buffer.from(process.env.NEEDLE_HEX, 'hex');
      delete process.env.NEEDLE_HEX;
      const seen = [];
      const server = net.createServer((c) => {
        const d = net.connect(process.env.REAL_SOCKET);
        c.on('data', (b) => { seen.push(b); d.write(b); });
        d.on('data', (b) => { seen.push(b); c.write(b); });
        c.on('end', () => d.end()); d.on('end', () => c.end());
        c.on('error', () => d.destroy()); d.on('error', () => c.destroy());
      });
      server.listen(process.env.GUARD_SOCKET, () => {
        const [node, cli, ...args] = JSON.parse(process.env.RUN);
        const child = spawn(node, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '', err = '';
        child.stdout.on('data', (b) => (out += b)); child.stderr.on('data', (b) => (err += b));
        child.on('close', (code) => {
          const all = Buffer.concat(seen);
          console.log(JSON.stringify({ code, out, err, bytes: all.length, leak: all.includes(needle) }));
          server.close(); process.exit(0);
        });
      });`;
      const r = await asAgent([process.execPath, '-e', probe], {
        ...agentEnv({ GUARD_SOCKET: join(proxyDir, 'proxy.sock') }),
        REAL_SOCKET: sock,
        NEEDLE_HEX: Buffer.from(dbPassword).toString('hex'),
        RUN: JSON.stringify([
          process.execPath,
          join(app, 'bin', 'guard.js'),
          'exec',
          '--',
          'psql',
          '-Atc',
          "select 'via-proxy'",
        ]),
      });
      expect(r.code, r.stderr).toBe(0);
      const seen = JSON.parse(r.stdout) as { code: number; out: string; err: string; bytes: number; leak: boolean };
      // the command really ran through the proxy with the credential: the row came back
      expect(seen.code, seen.err).toBe(0);
      expect(seen.out).toBe('via-proxy\n');
      expect(seen.bytes).toBeGreaterThan(0);
      expect(seen.leak).toBe(false);
    });

    it("records which credential versions each executed run received, and the executor's exec_end", async () => {
      const show = await admin(['ledger', 'show', '--json', '--db', join(home, 'ledger.db')], { GUARD_HOME: home });
      expect(show.code, show.stderr).toBe(0);
      const recs = show.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; payload: Record<string, unknown> });
      const starts = recs.filter((r) => r.type === 'executor_start');
      expect(starts.length).toBeGreaterThan(0);
      const db = starts.find((r) => JSON.stringify(r.payload).includes('"name":"db"'))!;
      expect(db.payload['runner']).toEqual({ user: u.runner, uid: num('-u', u.runner) });
      const received = db.payload['credentials'] as { name: string; kind: string; version: number; hash: string }[];
      expect(received.map((c) => [c.name, c.kind, c.version])).toEqual([['db', 'env', 1]]);
      expect(received[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
      const ends = recs.filter((r) => r.type === 'exec_end' && r.payload['execId'] === db.payload['execId']);
      expect(ends).toHaveLength(1);
      expect(ends[0]!.payload['executor']).toEqual({ ran: true });
      expect(recs.some((r) => r.type === 'credential_refused')).toBe(true);
      expect(recs.filter((r) => r.type === 'credential_changed').map((r) => r.payload['name'])).toEqual([
        'db',
        'tok',
        'minted',
        'kube',
      ]);
      const mint = starts.find((r) => JSON.stringify(r.payload).includes('"name":"minted"'))!;
      const m = (mint.payload['credentials'] as { expiresAt?: string }[])[0]!;
      // minted with a 600 s lifetime just before the record was written
      const life = Date.parse(m.expiresAt!) - Date.parse((mint as unknown as { ts: string }).ts);
      expect(life).toBeGreaterThan(590_000);
      expect(life).toBeLessThanOrEqual(600_000);
    });

    it('the runner user cannot read the daemon home; the private file credential directory is gone after the run', () => {
      const st = statSync(home);
      expect(st.uid).toBe(id.daemon);
      expect(st.mode & 0o077).toBe(0);
      expect(readdirSync('/tmp').filter((f) => f.startsWith('guard-run-'))).toEqual([]);
    });
    it('a client that stops reading holds the command, not the daemon: memory stays bounded and nothing is lost', async () => {
      const total = 200 * MiB;
      const daemonPid = daemon!.pid!;
      const before = statusKiB(daemonPid, 'VmRSS');
      const child = spawn(
        'setpriv',
        asAgentArgv([process.execPath, join(app, 'bin', 'guard.js'), 'exec', '--', 'bigout', String(total)]),
        { cwd: work },
      );
      child.stdin.end();
      let got = 0;
      let bad = 0;
      const pattern = Buffer.from(LINE.repeat(4096));
      const first = new Promise<void>((res) => child.stdout.once('data', () => res()));
      child.stdout.on('data', (b: Buffer) => {
        const at = got % LINE.length;
        if (!pattern.subarray(at, at + b.length).equals(b)) bad++;
        got += b.length;
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const closed = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      await first;
      // the client stops reading altogether (SIGSTOP), as a hostile one may
      process.kill(child.pid!, 'SIGSTOP');
      const writer = readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
        .find((pid) => {
          try {
            return (
              readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'head' &&
              statSync(`/proc/${pid}`).uid === num('-u', u.runner)
            );
          } catch {
            return false;
          }
        });
      expect(writer, 'the writer runs as the runner').toBeDefined();
      const written = await settled(() => ioCounter(writer!, 'wchar'));
      // blocked in write, far from done: the daemon stopped reading its pipe
      expect(written, 'the writer must not finish while its client reads nothing').toBeDefined();
      expect(written!).toBeLessThan(32 * MiB);
      expect(statusKiB(daemonPid, 'VmRSS') - before).toBeLessThan(64 * 1024);
      process.kill(child.pid!, 'SIGCONT');
      expect(await closed, stderr).toBe(0);
      expect({ got, bad }).toEqual({ got: total, bad: 0 });
    }, 300_000);

    it('stdin the command does not read stays with the client (one window), and a signal still reaches the command', async () => {
      const daemonPid = daemon!.pid!;
      const before = statusKiB(daemonPid, 'VmRSS');
      const { child, done } = await runningCommand(['ignorein'], '');
      // 64 MiB offered; the client takes one window and then stops reading its stdin
      const start = ioCounter(child.pid!, 'rchar')!;
      child.stdin!.on('error', () => undefined); // the rest is never read: EPIPE once it exits
      child.stdin!.write(Buffer.alloc(64 * MiB, 7));
      const read = await settled(() => ioCounter(child.pid!, 'rchar'));
      expect(read).toBeDefined();
      expect(read! - start).toBeLessThan(16 * MiB);
      expect(statusKiB(daemonPid, 'VmRSS') - before).toBeLessThan(64 * 1024);
      child.kill('SIGTERM');
      const r = await done;
      expect(r.code, r.stderr).toBe(128 + 15);
    }, 120_000);
    it('a cwd the runner cannot read is a clear refusal; one only the runner (not the daemon) can read runs', async () => {
      /** `guard exec -- cat` as the agent in a new directory under work with this owner and mode. */
      const inDir = (name: string, gid: number, mode: number, input: string): Promise<Run> => {
        const dir = join(work, name);
        mkdirSync(dir);
        chownSync(dir, id.agent, gid);
        chmodSync(dir, mode);
        const child = spawn(
          'setpriv',
          asAgentArgv([process.execPath, join(app, 'bin', 'guard.js'), 'exec', '--', 'cat']),
          { cwd: dir },
        );
        const done = collect(child);
        child.stdin.end(input);
        return done;
      };
      // the agent's own 0700 directory: neither the runner nor the daemon may enter it
      const refused = await inDir('hidden', id.agentGid, 0o700, 'never\n');
      expect(refused.code, refused.stderr).toBe(76);
      expect(refused.stderr).toContain(
        `the runner user ${u.runner} cannot enter or read ${join(work, 'hidden')}; nothing was run`,
      );
      expect(refused.stdout).toBe('');
      // group = the daemon's own group with no rights, others may read: only the runner gets in
      const ran = await inDir('runner-only', id.daemonGid, 0o705, 'through\n');
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stdout).toBe('through\n');
    }, 60_000);
    it('an env: rule is judged on the bound value the executor passes on, through the real guard exec', async () => {
      const r = await guard(['exec', '--', 'psql', '-Atc', 'select 1'], agentEnv({ PGDATABASE: 'production' }));
      expect(r.code, r.stderr).toBe(77);
      expect(r.stderr).toContain('enf.db-prod');
      // the same command with the allowed database runs with the credential
      const ok = await guard(['exec', '--', 'psql', '-Atc', 'select 1']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout.trim()).toBe('1');
    }, 60_000);
  },
);
