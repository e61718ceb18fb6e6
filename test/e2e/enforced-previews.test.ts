/**
 * Effect previews of credentialed commands in enforced mode (decision 1096): the preview runs as
 * the executor runs the command — as the runner user, in the request's cwd, with the credentials
 * the rule injects — and its output never carries a credential value. Real OS users (prefix
 * `prevx`), a real PostgreSQL whose role password only guard's store holds, a stand-in terraform in
 * the executor's trusted PATH that says who ran it and prints the credential it got, the built CLI
 * and a real daemon. Skipped with a printed reason when not root or PostgreSQL is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
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
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import {
  adminGuard,
  collect,
  enforcedSocket,
  enforcedUsers,
  installApp,
  osUsersSkipReason,
  PATH,
  startEnforcedDaemon,
  tearDown,
  type Run,
} from './os-users.js';

const SKIP = osUsersSkipReason() ?? postgresSkipReason();
if (SKIP !== undefined) console.log(`test/e2e/enforced-previews.test.ts: suite skipped: ${SKIP}`);

const envArgs = (env: Record<string, string>): string[] => Object.entries(env).map(([k, v]) => `${k}=${v}`);

interface Preview {
  kind: string;
  status: string;
  text: string;
  sha256: string;
}

describe.skipIf(SKIP !== undefined)('enforced mode: previews run as the executor runs the command', () => {
  const tag = randomBytes(3).toString('hex');
  const u = { daemon: `prevxd${tag}`, agent: `prevxa${tag}`, runner: `prevxr${tag}`, group: `prevxs${tag}` };
  const created: string[] = [];
  const id = { agent: 0, agentGid: 0, runner: 0, runnerGid: 0, daemon: 0, daemonGid: 0 };
  let base = '';
  let app = '';
  let home = '';
  let sock = '';
  let work = '';
  let marks = '';
  let daemon: ChildProcess | undefined;
  let pg: Postgres | undefined;
  const dbPassword = `pvx-${randomBytes(12).toString('hex')}`;
  const token = `tok-${randomBytes(12).toString('hex')}`;
  const canary = `canary-${randomBytes(8).toString('hex')}`;

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
  /** argv run as the agent's user, with only env. */
  const asAgent = (argv: string[], env = agentEnv()): Promise<Run> => {
    const drop = [`--reuid=${id.agent}`, `--regid=${id.agentGid}`, '--init-groups', '--', 'env', '-i'];
    const child = spawn('setpriv', [...drop, ...envArgs(env), ...argv], { cwd: work });
    child.stdin.end();
    return collect(child);
  };
  const guard = (args: string[], env = agentEnv()): Promise<Run> =>
    asAgent([process.execPath, join(app, 'bin', 'guard.js'), ...args], env);
  const admin = (args: string[], extra: Record<string, string> = {}): Promise<Run> =>
    adminGuard(app, base, sock, args, extra);
  /** A held request made by the agent (--no-wait) and its preview as the administrator sees it. */
  const held = async (argv: string[], env = agentEnv()) => {
    const r = await guard(['exec', '--no-wait', '--', ...argv], env);
    expect(r.code, r.stderr).toBe(75);
    const rq = r.stdout.trim();
    const shown = await admin(['show', rq, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    const view = (JSON.parse(shown.stdout) as { view: { preview?: Preview } }).view;
    const asAgent = await guard(['show', rq, '--json']);
    return {
      id: rq,
      preview: view.preview,
      seen: `${r.stdout}${r.stderr}${shown.stdout}${asAgent.stdout}${asAgent.stderr}`,
    };
  };
  const daemonFiles = (): Buffer[] =>
    readdirSync(home)
      .filter((f) => f.startsWith('ledger.db') || f.startsWith('state.db') || f === 'daemon.log')
      .filter((f) => statSync(join(home, f)).isFile())
      .map((f) => readFileSync(join(home, f)));
  const count = (): string => pg!.sql('select count(*) from items', 'appdb').trim();

  const POLICY = `version: 1
default: allow
rules:
  - id: pvx.sql
    description: the application database, with the db credential, needs a human
    effect: approve
    credentials: [db]
    match: { program: psql }
    approval: { timeout: 60s }
  - id: pvx.tf
    description: terraform with the tok credential; its plan may run with it before approval
    effect: approve
    credentials: [tok]
    preview: with_credentials
    match: { program: terraform }
  - id: pvx.tofu
    description: tofu with the tok credential; no preview opt-in
    effect: approve
    credentials: [tok]
    match: { program: tofu }
`;

  beforeAll(async () => {
    try {
      pg = await startPostgres();
      pg.sql(`create role app login password '${dbPassword}'`);
      pg.sql('create database appdb owner app');
      pg.sql(
        "create table items (id int, kind text); insert into items select g, case when g % 3 = 0 then 'old' else 'new' end from generate_series(1, 30) g; alter table items owner to app",
        'appdb',
      );
      pg.sql(
        `create table secrets (v text); insert into secrets values ('${canary}'); alter table secrets owner to app`,
        'appdb',
      );
      Object.assign(id, enforcedUsers(u, created));
      base = mkdtempSync('/tmp/prevx-');
      chmodSync(base, 0o755);
      app = installApp(base);
      // where the stand-in terraform leaves a mark of each plan it ran (owned by whoever ran it)
      marks = join(base, 'marks');
      mkdirSync(marks, { mode: 0o777 });
      chmodSync(marks, 0o1777);
      const tbin = join(base, 'tbin');
      mkdirSync(tbin, { mode: 0o755 });
      // a terraform stand-in: says who ran it, where, and prints the credential it received (a canary)
      const fake = `#!/bin/sh
case "$1" in -chdir=*) cd "\${1#-chdir=}"; shift ;; esac
sub="$1"; shift
out=""
for a in "$@"; do case "$a" in -out=*) out="\${a#-out=}" ;; esac; done
case "$sub" in
  plan)
    touch "${marks}/plan-$(basename "$0")-$$"
    echo "Terraform will perform the following actions:"
    echo "  + create  web"
    echo "ran as $(id -un) uid $(id -u) in $(pwd)"
    echo "got $TOKEN here"
    echo "token sha256 = $(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)"
    if [ -n "$out" ]; then echo "+ web" > "$out"; fi
    echo "Plan: 1 to add, 0 to change, 0 to destroy." ;;
  *) echo "applied" ;;
esac
`;
      for (const n of ['terraform', 'tofu']) writeFileSync(join(tbin, n), fake, { mode: 0o755 });
      home = join(base, 'home');
      mkdirSync(home, { mode: 0o700 });
      chownSync(home, id.daemon, id.daemonGid);
      writeFileSync(join(base, 'policy.yaml'), POLICY, { mode: 0o644 });
      sock = enforcedSocket(base, id.daemon, u.group);
      work = join(base, 'work');
      mkdirSync(work, { mode: 0o755 });
      chownSync(work, id.agent, id.agentGid);
      daemon = await startEnforcedDaemon({
        user: u.daemon,
        runner: u.runner,
        home,
        sock,
        executorEnv: 'PGHOST,PGPORT,PGUSER,PGDATABASE',
        executorPath: `${tbin}:/usr/bin:/bin`,
        app,
        base,
        policy: join(base, 'policy.yaml'),
      });
      // the administrator moves the credentials into guard (values from root-only files)
      for (const [name, variable, value] of [
        ['db', 'PGPASSWORD', `${dbPassword}\n`],
        ['tok', 'TOKEN', token],
      ] as const) {
        writeFileSync(join(base, `${name}.secret`), value, { mode: 0o600 });
        const add = await admin([
          'credential',
          'add',
          name,
          '--env',
          variable,
          '--from-file',
          join(base, `${name}.secret`),
        ]);
        if (add.code !== 0) throw new Error(`credential add failed: ${add.stderr}`);
      }
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
  }, 180_000);

  async function cleanup(): Promise<void> {
    await tearDown(daemon, created, base);
    await pg?.destroy();
  }
  afterAll(cleanup);

  it('a DELETE is counted with the password only the executor injects; nothing is deleted before the approval', async () => {
    // the agent alone has no password
    const alone = await asAgent(['psql', '-Atc', 'select 1']);
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toMatch(/password/i);
    const h = await held(['psql', '-c', "DELETE FROM items WHERE kind = 'old'"]);
    expect(h.preview).toMatchObject({ kind: 'sql-count', status: 'ok' });
    expect(h.preview!.text).toMatch(/^DELETE would remove 10 row\(s\) of items \(counted in a read-only transaction/);
    expect(count()).toBe('30');
    expect(h.seen).not.toContain(dbPassword);
    for (const f of daemonFiles()) expect(f.includes(dbPassword)).toBe(false);
    // the approval signs that preview; the re-run uses the grant and runs in the executor
    const yes = await admin(
      ['approve', h.id, '--as', 'alice', '--passphrase-file', join(base, 'alice.pass'), '--reason', 't'],
      {
        GUARD_APPROVER_HOME: join(base, 'alice-keys'),
      },
    );
    expect(yes.code, yes.stderr).toBe(0);
    const run = await guard(['exec', '--', 'psql', '-c', "DELETE FROM items WHERE kind = 'old'"]);
    expect(run.code, run.stderr).toBe(0);
    expect(count()).toBe('20');
  });

  it("a WHERE that would quote data in the server's error is reported by SQLSTATE alone", async () => {
    const before = count();
    const h = await held(['psql', '-c', 'DELETE FROM items WHERE id = (SELECT v FROM secrets)::int']);
    expect(h.preview).toMatchObject({ kind: 'sql-count', status: 'failed' });
    expect(h.preview!.text).toMatch(/SQLSTATE 22P02/);
    expect(h.seen).not.toContain(canary);
    expect(count()).toBe(before);
  });

  it('a server the agent names that asks for the password in clear text never gets it', async () => {
    const got: Buffer[] = [];
    const server: Server = createServer((s) => {
      let first = true;
      s.on('data', (b: Buffer) => {
        got.push(b);
        if (!first) return;
        first = false;
        // AuthenticationCleartextPassword: 'R', length 8, code 3
        const r = Buffer.alloc(9);
        r.write('R', 0);
        r.writeInt32BE(8, 1);
        r.writeInt32BE(3, 5);
        s.write(r);
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as { port: number }).port;
    try {
      const h = await held(
        ['psql', '-c', 'DELETE FROM items WHERE true'],
        agentEnv({ PGHOST: '127.0.0.1', PGPORT: String(port) }),
      );
      expect(h.preview).toMatchObject({ kind: 'sql-count', status: 'failed' });
      expect(h.preview!.text).toMatch(/in clear text; a preview with credentials answers only SCRAM/);
      expect(got.length).toBeGreaterThan(0); // it did connect
      expect(Buffer.concat(got).includes(dbPassword)).toBe(false);
    } finally {
      server.close();
    }
  });

  it('terraform with `preview: with_credentials`: planned as the runner with the credential, which never shows', async () => {
    const h = await held(['terraform', 'apply', '-auto-approve']);
    expect(h.preview).toMatchObject({ kind: 'terraform-plan', status: 'ok' });
    expect(h.preview!.text).toContain(`ran as ${u.runner} uid ${id.runner} in ${work}`);
    // the credential it got is the stored one, by its digest; its value is cut from the text
    expect(h.preview!.text).toContain(`token sha256 = ${createHash('sha256').update(token).digest('hex')}`);
    expect(h.preview!.text).toContain('got [credential tok] here');
    expect(h.seen).not.toContain(token);
    for (const f of daemonFiles()) expect(f.includes(token)).toBe(false);
    const planned = readdirSync(marks).filter((f) => f.startsWith('plan-terraform-'));
    expect(planned).toHaveLength(1);
    expect(statSync(join(marks, planned[0]!)).uid).toBe(id.runner);
    // the request records that its preview ran as the runner with this credential's version
    const show = await admin(['ledger', 'show', '--json', '--db', join(home, 'ledger.db')], { GUARD_HOME: home });
    expect(show.code, show.stderr).toBe(0);
    const request = show.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; payload: Record<string, unknown> })
      .find((r) => r.type === 'request' && r.payload['requestId'] === h.id);
    expect(request?.payload['previewRanAs']).toMatchObject({
      runner: { user: u.runner, uid: id.runner },
      credentials: [{ name: 'tok', kind: 'env', version: 1 }],
    });
    // the plan the runner wrote is kept by the daemon, for the executor to apply exactly (decision 1110;
    // test/e2e/enforced-saved-plan.test.ts applies it)
    const kept = join(home, 'plans', `${h.id}.tfplan`);
    expect(h.preview!.text.split('\n').pop()).toContain(
      `on approval guard runs \`terraform apply -input=false ${kept}\`: exactly this saved plan (sha256 ${createHash('sha256').update(readFileSync(kept)).digest('hex')})`,
    );
  });

  it('a tool that runs the configuration is not run with credentials without the opt-in', async () => {
    const before = readdirSync(marks).length;
    const h = await held(['tofu', 'apply']);
    expect(h.preview).toMatchObject({ kind: 'terraform-plan', status: 'skipped' });
    expect(h.preview!.text).toMatch(/before anyone approved; a rule opts in with `preview: with_credentials`/);
    expect(readdirSync(marks)).toHaveLength(before); // no plan ran
  });
});
