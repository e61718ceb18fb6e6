/**
 * Issue 8's acceptance test: a scenario full of (fake, assembled-at-test-time) secrets goes
 * through the built CLI and a real daemon — allowed, denied by policy, approved, denied by a
 * human, asked and answered, approved through a webhook, raised in Slack — and then every byte
 * the product wrote or sent is scanned: GUARD_HOME (ledger DB + WAL/SHM, state DB, daemon.log),
 * the daemon's stdout/stderr, webhook bodies, Slack API calls, the export bundle and the JSON
 * read commands. No secret may appear in any form (raw, escaped, encoded, base64, fragment).
 * The grant still binds the real argv, and an auditor can confirm a suspected value.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmSecret } from '../../src/redact/index.js';
import { APP_TOKEN, BOT_TOKEN, FakeSlack } from '../channels/fake-slack.js';
import { Receiver } from '../channels/receiver.js';
import { Rig, type Run } from '../daemon/helpers.js';
import { findLeaks, scanTree, type Leak } from '../helpers/secrets.js';
import { rng, SECRET_FAKES } from '../redact/fakes.js';

const HOOK_SECRET = 'leak-test-webhook-signing-key';
const ID = /request (rq-[0-9a-f]{12}) is waiting/;
const FAKE_PROGRAMS = ['psql', 'mysql', 'curl', 'aws', 'gh', 'kubectl', 'vault', 'docker', 'npm', 'stripe'];

const POLICY = `version: 1
default: allow
on_unresolved: approve
rules:
  - id: leak.upload
    description: Outbound uploads are refused
    effect: deny
    risk: high
    match: { program: curl }
    impact: 'would send {args}'
  - id: leak.change
    description: Database, cloud and secret-store changes need a human
    effect: approve
    risk: high
    match: { program: [psql, mysql, aws, kubectl, vault] }
    impact: 'runs {program} {args} in {cwd}'
    approval: { timeout: 120s }
`;

/** Fresh fake secrets of the known formats; deterministic per run, distinct from each other. */
function makeSecrets() {
  const r = rng(0x5ec12e7);
  const g = (name: string): string => {
    const gen = SECRET_FAKES[name];
    if (gen === undefined) throw new Error(`no fake ${name}`);
    return gen(r);
  };
  const word = (n: number): string =>
    Array.from({ length: n }, () => 'abcdefghjkmnpqrstuvwxyz23456789'[Math.floor(r() * 31)]).join('');
  return {
    gho: g('GHO'),
    ghs: g('GHS'),
    ghu: g('GHU'),
    ghpat: g('GHPAT'),
    glpat: g('GLPAT'),
    akia: g('AKIA'),
    asia: g('ASIA'),
    awsSecret: g('AWSSECRET'),
    awsSecret2: g('AWSSECRET'),
    xoxb: g('XOXB'),
    xoxp: g('XOXP'),
    xapp: g('XAPP'),
    slackHook: g('SLACKHOOK'),
    skLive: g('SKLIVE'),
    rkLive: g('RKLIVE'),
    aiza: g('AIZA'),
    jwt: g('JWT'),
    pem: g('PEM'),
    npm: g('NPM'),
    openai: g('OPENAI'),
    hvs: g('HVS'),
    hvs2: g('HVS'),
    pw: g('PW'),
    pw2: g('PW'),
    fooToken: g('TOKEN'),
    sessionToken: g('TOKEN'),
    dbPass: `Db-${word(14)}`,
    dbPass2: `Db-${word(14)}`,
    urlPass: `u-${word(16)}`,
  };
}

const S = makeSecrets();
const SECRETS = Object.values(S);

let rig: Rig;
let receiver: Receiver;
let slack: FakeSlack;
let daemonOut = '';
const cliOut: { what: string; text: string }[] = [];
const ids: Record<string, string> = {};

function writeFakePrograms(bin: string, marks: string): void {
  mkdirSync(bin, { recursive: true });
  for (const p of FAKE_PROGRAMS) {
    const f = join(bin, p);
    writeFileSync(f, `#!/bin/sh\necho "${p}" >> '${marks}'\n`);
    chmodSync(f, 0o755);
  }
}

const ranPrograms = (): string[] => {
  try {
    return readFileSync(join(rig.home, 'ran'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

const keep = (what: string, r: Run): Run => {
  cliOut.push({ what, text: r.stdout });
  return r;
};

const as = (name: string): string[] => ['--as', name, '--passphrase-file', rig.passFile(name)];

beforeAll(async () => {
  receiver = new Receiver(HOOK_SECRET, (req) => {
    const request = req.json?.['request'] as { reason?: string } | undefined;
    if (req.json?.['event'] !== 'request.created' || request?.reason?.startsWith('via-webhook') !== true)
      return { status: 200, body: '{}' };
    const decision = { action: 'approve', approver: 'alice@example.com', reason: `looks fine, key ${S.xapp}` };
    return { status: 200, body: JSON.stringify(decision), signWith: HOOK_SECRET };
  });
  await receiver.start();
  slack = new FakeSlack();
  await slack.start();
  rig = new Rig(POLICY, { GUARD_SLACK_APP_TOKEN: APP_TOKEN, GUARD_SLACK_BOT_TOKEN: BOT_TOKEN });
  const bin = join(rig.home, 'bin');
  writeFakePrograms(bin, join(rig.home, 'ran'));
  rig.env['PATH'] = `${bin}:${rig.env['PATH'] ?? '/usr/bin:/bin'}`;
  const secretFile = join(rig.home, 'hook.secret');
  writeFileSync(secretFile, HOOK_SECRET, { mode: 0o600 });
  mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(rig.env['GUARD_HOME']!, 'config.yaml'),
    [
      'channels:',
      '  retry: { attempts: 2, base_ms: 50, max_ms: 100 }',
      '  webhooks:',
      '    - name: ops',
      `      url: ${receiver.url}/hook`,
      `      secret_ref: file:${secretFile}`,
      '      mode: inline',
      '  slack:',
      '    app_token_ref: env:GUARD_SLACK_APP_TOKEN',
      '    bot_token_ref: env:GUARD_SLACK_BOT_TOKEN',
      '    channel_id: C0LEAKS01',
      `    api_url: ${slack.apiUrl}`,
      '',
    ].join('\n'),
  );
  await rig.enroll('alice', ['ops'], undefined, ['--email', 'alice@example.com', '--slack-user-id', 'U0ALICE']);
  const d = await rig.startDaemon();
  d.stdout!.on('data', (c: Buffer) => (daemonOut += c.toString()));
  d.stderr!.on('data', (c: Buffer) => (daemonOut += c.toString()));
}, 60_000);

afterAll(async () => {
  await rig?.cleanup();
  await receiver?.stop();
  await slack?.stop();
});

const exec = (args: string[], flags: string[] = [], cwd?: string) =>
  rig.spawnGuard(['exec', ...flags, '--', ...args], cwd === undefined ? {} : { cwd });

describe('a scenario full of secrets', () => {
  it('allowed commands with secrets in argv, env assignments, bash -c scripts and --password= run', async () => {
    const cases: string[][] = [
      ['gh', 'api', '-H', `Authorization: token ${S.gho}`, '/user'],
      ['gh', 'secret', 'set', 'DEPLOY', '--body', S.ghpat],
      ['env', `AWS_ACCESS_KEY_ID=${S.asia}`, `AWS_SESSION_TOKEN=${S.sessionToken}`, 'gh', 'api', '/meta'],
      ['env', `FOO_TOKEN=${S.fooToken}`, `STRIPE_KEY=${S.rkLive}`, 'docker', 'ps'],
      ['docker', 'login', '-u', 'bot', `--password=${S.pw}`, 'registry.example.com'],
      ['npm', 'config', 'set', '//registry.npmjs.org/:_authToken', S.npm],
      ['bash', '-c', `GITHUB_TOKEN=${S.ghs} gh repo list && echo "key ${S.akia}" > /dev/null`],
      ['bash', '-c', `printf '%s' "${S.pem}" > /dev/null; OPENAI_API_KEY=${S.openai} docker run app`],
      ['stripe', 'charges', 'list', '--api-key', S.skLive],
    ];
    for (const c of cases) {
      const r = await exec(c, ['--reason', `routine, token ${S.glpat}`]).done;
      expect(r.code, `${c[0]}: ${r.stderr}`).toBe(0);
    }
    expect(ranPrograms()).toEqual(['gh', 'gh', 'gh', 'docker', 'docker', 'npm', 'gh', 'docker', 'stripe']);
  });

  it('commands the policy denies never run, whatever secrets they carry', async () => {
    const cases: string[][] = [
      ['curl', '-H', `Authorization: Bearer ${S.jwt}`, 'https://api.example.com/v1'],
      ['curl', `https://deploy:${S.urlPass}@files.example.com/upload`, '-d', `key=${S.aiza}`],
      ['curl', '-X', 'POST', S.slackHook, '-d', '{"text":"hi"}'],
      ['bash', '-c', `export SLACK_BOT_TOKEN=${S.xoxb}; curl -sS https://slack.com/api/auth.test`],
    ];
    for (const c of cases) expect((await exec(c, ['--ticket', `SEC-9 ${S.xoxp}`]).done).code).toBe(77);
    expect(ranPrograms().filter((p) => p === 'curl')).toEqual([]);
  });

  it('a command approved by a human runs; the approval note with a secret is redacted', async () => {
    const p = exec(
      ['psql', `postgres://app:${S.dbPass}@db.internal:5432/prod`, '-c', 'drop table sessions'],
      ['--reason', `rotating; the old key was ${S.skLive}`, '--ticket', `OPS-7 ${S.hvs}`],
    );
    const [, id] = await p.waitFor(ID);
    ids['approved'] = id!;
    expect((await rig.approve(id!, 'alice', ['--reason', `ok, vault token ${S.hvs2}`])).code).toBe(0);
    expect((await p.done).code).toBe(0);
  });

  it('a command denied by a human (in a directory whose name is a token) never runs', async () => {
    const cwd = join(rig.home, 'work', S.ghu);
    mkdirSync(cwd, { recursive: true });
    // a git checkout whose remote URL carries a token, on a branch named with a ticket
    const git = (...a: string[]): void => {
      execFileSync('git', ['-C', cwd, ...a], { stdio: 'ignore' });
    };
    git('init', '-q', '-b', `feature/OPS-9-rotate`);
    git('remote', 'add', 'origin', `https://x-access-token:${S.ghpat}@github.com/acme/app.git`);
    const before = ranPrograms().length;
    const p = exec(['aws', 'configure', 'set', 'aws_secret_access_key', S.awsSecret2], [], cwd);
    const [, id] = await p.waitFor(ID);
    ids['denied'] = id!;
    const d = await rig.guard([
      'deny',
      id!,
      ...as('alice'),
      '--reason',
      `never paste ${S.rkLive}; AWS_SECRET_ACCESS_KEY=${S.awsSecret}`,
    ]);
    expect(d.code, d.stderr).toBe(0);
    expect((await p.done).code).toBe(76);
    expect(ranPrograms()).toHaveLength(before);
  });

  it('an approver asks, the requester replies with a secret, then it is approved and runs', async () => {
    const p = exec(['vault', 'kv', 'put', 'secret/app', `api_key=${S.hvs}`, `password=${S.pw2}`]);
    const [, id] = await p.waitFor(ID);
    ids['asked'] = id!;
    expect((await rig.guard(['ask', id!, ...as('alice'), '--question', 'which token is this?'])).code).toBe(0);
    await p.waitFor(/alice asks: which token is this\?/);
    const reply = await rig.guard(['reply', id!, '--message', `it is ${S.glpat}, scoped to ${S.akia}`]);
    expect(reply.code, reply.stderr).toBe(0);
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    expect((await p.done).code).toBe(0);
  });

  it('a command approved through the webhook runs; the channel reason with a secret is redacted', async () => {
    const p = exec(
      ['kubectl', 'create', 'secret', 'generic', 'api', `--from-literal=token=${S.openai}`],
      ['--reason', `via-webhook for ${S.jwt}`],
    );
    const r = await p.done;
    expect(r.code, r.stderr).toBe(0);
    expect(ranPrograms().at(-1)).toBe('kubectl');
  });

  it('a command denied in Slack (Deny… modal, reason with a secret) never runs', async () => {
    const before = ranPrograms().length;
    const p = exec(['kubectl', 'delete', 'namespace', 'prod', `--token=${S.aiza}`]);
    const [, id] = await p.waitFor(ID);
    ids['slack'] = id!;
    const posts = (): number =>
      slack.callsOf('chat.postMessage').findIndex((c) => JSON.stringify(c.args).includes(id!));
    for (let i = 0; i < 200 && posts() < 0; i++) await new Promise((r) => setTimeout(r, 25));
    const ts = `${1_700_000_001 + posts()}.000100`; // the fake numbers messages in order
    const alice = { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T1' };
    const team = { id: 'T1', domain: 'acme' };
    const opened = slack.callsOf('views.open').length;
    slack.sendInteractive({
      type: 'block_actions',
      user: alice,
      team,
      api_app_id: 'A1',
      trigger_id: 'trigger-leak',
      container: { type: 'message', message_ts: ts, channel_id: 'C0LEAKS01', is_ephemeral: false },
      channel: { id: 'C0LEAKS01', name: 'approvals' },
      actions: [{ type: 'button', action_id: 'guard_deny', block_id: 'guard_actions', value: id, action_ts: '1' }],
    });
    for (let i = 0; i < 200 && slack.callsOf('views.open').length === opened; i++)
      await new Promise((r) => setTimeout(r, 25));
    const modal = slack.callsOf('views.open').at(-1)?.args['view'] as Record<string, unknown>;
    const value = `no: the key ${S.xoxp} was pasted in the ticket`;
    slack.sendInteractive({
      type: 'view_submission',
      user: alice,
      team,
      api_app_id: 'A1',
      view: { ...modal, id: 'V1', hash: 'h1', state: { values: { guard_text: { guard_text_input: { value } } } } },
    });
    expect((await p.done).code).toBe(76);
    expect(ranPrograms()).toHaveLength(before);
    const denial = (await rig.ledger()).find((x) => x.type === 'approval' && x.payload['requestId'] === id);
    expect(denial?.payload).toMatchObject({ action: 'deny', channel: 'slack', approver: 'alice' });
    expect(String(denial?.payload['reason'])).toContain('[redacted:');
  });

  it('the grant binds the exact original argv: same command consumes it, a different secret does not', async () => {
    const cmd = (pass: string): string[] => ['mysql', '-u', 'root', `-p${pass}`, '-e', 'drop database staging'];
    const first = keep('no-wait', await exec(cmd(S.dbPass), ['--no-wait']).done);
    expect(first.code).toBe(75);
    const id = first.stdout.trim();
    expect((await rig.approve(id, 'alice')).code).toBe(0);
    const before = ranPrograms().length;
    const other = keep('no-wait', await exec(cmd(S.dbPass2), ['--no-wait']).done);
    expect(other.code).toBe(75);
    expect(ranPrograms()).toHaveLength(before);
    expect((await exec(cmd(S.dbPass)).done).code).toBe(0);
    expect(ranPrograms()).toHaveLength(before + 1);
    expect((await exec(cmd(S.dbPass), ['--no-wait']).done).code).toBe(75); // one use only
    expect(ranPrograms()).toHaveLength(before + 1);
    // both requests look the same to a human (the secret is masked) but bind different argv
    const show = async (x: string): Promise<{ view: { command: string } }> =>
      JSON.parse(keep('show', await rig.guard(['show', x, '--json'])).stdout) as { view: { command: string } };
    const a = await show(id);
    const b = await show(other.stdout.trim());
    expect(a.view.command).toBe(b.view.command);
    const rv = await rig.guard(['revoke', other.stdout.trim(), '--reason', `leaked in chat: MYSQL_PWD=${S.dbPass2}`]);
    expect(rv.code, rv.stderr).toBe(0);
    ids['grant'] = id;
  });

  it('an auditor confirms a suspected value from the salted hash; a wrong guess fails', async () => {
    const recs = await rig.ledger();
    const req = recs.find((x) => x.type === 'request' && x.payload['requestId'] === ids['approved']);
    const findings = (req?.payload['secrets'] ?? []) as { hash: string; salt: string; kind: string }[];
    expect(findings.length).toBeGreaterThan(0);
    const confirms = (v: string): boolean => findings.some((f) => confirmSecret(f, v));
    expect(confirms(S.dbPass)).toBe(true);
    expect(confirms(S.skLive)).toBe(true);
    expect(confirms(S.dbPass.slice(0, -1) + (S.dbPass.endsWith('x') ? 'y' : 'x'))).toBe(false);
    expect(confirms(S.dbPass2)).toBe(false);
    // the directory named like a token is masked, and confirmable, too
    const denied = recs.find((x) => x.type === 'request' && x.payload['requestId'] === ids['denied']);
    const cwdFindings = ((denied?.payload['secrets'] ?? []) as { hash: string; salt: string; key?: string }[]).filter(
      (f) => f.key === 'cwd',
    );
    expect(String(denied?.payload['cwd'])).toContain('[redacted:');
    expect(cwdFindings.some((f) => confirmSecret(f, S.ghu))).toBe(true);
    expect(cwdFindings.some((f) => confirmSecret(f, S.gho))).toBe(false);
    const ctx = denied?.payload['context'] as Record<string, string>;
    expect(ctx['git.remote']).toMatch(/github\.com\/acme\/app/);
    // the texts carrying secrets reached the ledger (so the scan below is not vacuous), masked
    const notes = recs.flatMap((x) => [x.payload['reason'], x.payload['question'], x.payload['message']]);
    const masked = notes.filter((n): n is string => typeof n === 'string' && n.includes('[redacted:'));
    expect(masked.length).toBeGreaterThanOrEqual(4);
  });

  it('no secret reaches disk, the log, a channel, the export or a read command', async () => {
    // channels deliver asynchronously: wait until both saw the last request raised
    const wanted = Object.values(ids);
    const seen = (): boolean =>
      wanted.every(
        (id) =>
          receiver.received.some((x) => x.body.includes(id)) &&
          slack.calls.some((c) => JSON.stringify(c.args).includes(id)),
      );
    for (let i = 0; i < 200 && !seen(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(seen()).toBe(true);
    expect(slack.callsOf('chat.postMessage').length).toBeGreaterThan(0);
    expect(receiver.received.length).toBeGreaterThan(0);

    const leaks: Leak[] = [];
    const ALL = [...SECRETS, readFileSync(rig.passFile('alice'), 'utf8').trim()];
    const home = rig.env['GUARD_HOME']!;
    const bundle = join(rig.home, 'bundle.tar');
    const exp = await rig.guard(['ledger', 'export', '--out', bundle]);
    expect(exp.code, exp.stderr).toBe(0);
    leaks.push(...findLeaks(readFileSync(bundle), ALL, 'export bundle'));
    const show = await rig.guard(['ledger', 'show', '--json']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('[redacted:');
    leaks.push(...findLeaks(show.stdout, ALL, 'guard ledger show --json'));
    const list = await rig.guard(['requests', '--all', '--json']);
    expect(list.code).toBe(0);
    leaks.push(...findLeaks(list.stdout, ALL, 'guard requests --all --json'));
    for (const id of wanted)
      leaks.push(...findLeaks((await rig.guard(['show', id, '--json'])).stdout, ALL, `show ${id}`));
    for (const o of cliOut) leaks.push(...findLeaks(o.text, ALL, `guard ${o.what} stdout`));
    for (const x of receiver.received)
      leaks.push(...findLeaks(JSON.stringify(x), ALL, `webhook ${x.method} ${x.path}`));
    for (const c of slack.calls) leaks.push(...findLeaks(JSON.stringify(c), ALL, `slack ${c.method}`));
    leaks.push(...findLeaks(JSON.stringify(slack.acks), ALL, 'slack acks'));
    const live = scanTree(home, ALL);
    expect(live.files.map((f) => f.slice(home.length + 1))).toEqual(
      expect.arrayContaining(['ledger.db', 'state.db', 'daemon.log']),
    );
    leaks.push(...live.leaks);
    await rig.stopAll();
    leaks.push(...scanTree(home, ALL).leaks.map((l) => ({ ...l, where: `${l.where} (after stop)` })));
    leaks.push(...findLeaks(daemonOut, ALL, 'daemon stdout/stderr'));
    const where = (l: Leak): string => `${l.where.replace(home, 'GUARD_HOME')}: ${l.secret} (${l.form})`;
    expect([...new Set(leaks.map(where))]).toEqual([]);
  });
});

describe('errors that name a secret-bearing path', () => {
  it('a broken project policy under a token-named directory fails closed; daemon.log keeps no token', async () => {
    const r2 = new Rig();
    try {
      expect((await r2.guard(['daemon', 'start'])).code).toBe(0); // layered search, so project layers count
      const project = join(r2.home, 'checkouts', S.ghs);
      mkdirSync(join(project, '.git'), { recursive: true });
      mkdirSync(join(project, '.guard'), { recursive: true });
      writeFileSync(join(project, '.guard', 'policy.yaml'), 'version: 1\nrules: [ {id: x\n');
      const r = await r2.guard(['exec', '--', 'true'], { cwd: project });
      expect(r.code).toBe(70);
      expect(r.stderr).toMatch(/policy\.yaml/);
      const home = r2.env['GUARD_HOME']!;
      const log = (): string => readFileSync(join(home, 'daemon.log'), 'utf8');
      for (let i = 0; i < 100 && !/problems? in the policy/.test(log()); i++)
        await new Promise((x) => setTimeout(x, 50));
      expect(log()).toMatch(/problems? in the policy/); // the error is logged (the reply goes out first)
      const leaks = scanTree(home, [S.ghs]).leaks.map((l) => `${l.where}: ${l.form}`);
      expect([...new Set(leaks)]).toEqual([]);
    } finally {
      await r2.guard(['daemon', 'stop']);
      await r2.cleanup();
    }
  });
});
