/**
 * An approval covers exactly what runs (issue 13, items 1–3), with real daemon and client
 * processes, the real `rm`, real files and symlinks:
 * - the program: the client runs the very file it hashed, so a program swapped under the same
 *   name while the request waits never runs, and `exec_start` names the digest that ran;
 * - the environment: a grant given under TF_WORKSPACE=staging (KUBECONFIG, AWS_PROFILE, PGHOST, a
 *   variable the policy's own `env` match reads) is not used under another value;
 * - the files behind the arguments: `rm -rf ./a/` approved, then `./a` made a symlink elsewhere,
 *   is refused and the other directory is untouched.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { hasExecEnds, MARK, Rig } from '../daemon/helpers.js';

const POLICY = `version: 1
default: allow
on_unresolved: approve
rules:
  - id: b.rm
    description: Deleting files needs one approval
    effect: approve
    risk: high
    match: { program: rm }
    approval: { timeout: 60s }
  - id: b.mark
    description: Test rule that needs one approval
    effect: approve
    risk: high
    match: { program: mark, any_arg: [approve-me] }
    approval: { timeout: 60s }
  - id: b.target
    description: Reads DEPLOY_TARGET, so the environment digest binds it
    effect: deny
    match: { program: never-run, env: { DEPLOY_TARGET: 'nowhere' } }
`;

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
const RM = ['/usr/bin/rm', '/bin/rm'].find((p) => existsSync(p))!;
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

let rig: Rig;
beforeEach(async () => {
  rig = new Rig(POLICY);
  await rig.startDaemon();
  await rig.enroll('alice', ['ops']);
});
afterEach(() => rig.cleanup());

/** A directory early on PATH holding a copy of the real `rm`. */
function agentBin(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = join(rig.home, 'agent-bin');
  mkdirSync(dir);
  copyFileSync(RM, join(dir, 'rm'));
  chmodSync(join(dir, 'rm'), 0o755);
  return { dir, env: { ...rig.env, PATH: `${dir}:${rig.env['PATH'] ?? '/usr/bin:/bin'}` } };
}

/** A script that proves it ran by writing a file. */
function impostor(path: string, proof: string): void {
  writeFileSync(`${path}.new`, `#!/bin/sh\necho swapped > '${proof}'\n`, { mode: 0o755 });
  renameSync(`${path}.new`, path);
}

async function execStarts(): Promise<Record<string, unknown>[]> {
  return (await rig.ledger(hasExecEnds(1))).filter((r) => r.type === 'exec_start').map((r) => r.payload);
}

describe('the program that runs is the program that was hashed', () => {
  it('runs the hashed rm when another file is renamed over it while the request waits', async () => {
    const { dir, env } = agentBin();
    const victim = join(rig.home, 'victim');
    const proof = join(rig.home, 'swapped');
    writeFileSync(victim, 'x');
    const p = rig.spawnGuard(['exec', '--', 'rm', victim], { env });
    const [, id] = await p.waitFor(ID);
    impostor(join(dir, 'rm'), proof);
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    const r = await p.done;
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(proof)).toBe(false); // the replacement never ran
    expect(existsSync(victim)).toBe(false); // the approved rm did
    const [start] = await execStarts();
    expect(start).toMatchObject({ requestId: id, programSha256: sha256(RM) });
  });

  it('keeps argv[0] as typed and passes the exit status through', async () => {
    const { env } = agentBin();
    const p = rig.spawnGuard(['exec', '--', 'rm', join(rig.home, 'no-such-file')], { env });
    const [, id] = await p.waitFor(ID);
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    const r = await p.done;
    expect(r.code).toBe(1); // rm's own status for a missing operand
    expect(r.stderr).toMatch(/^rm: cannot remove/m); // rm names itself by argv[0], not /proc/self/fd/N
  });

  it('refuses when the hashed file is rewritten in place while the request waits', async () => {
    const { dir, env } = agentBin();
    const victim = join(rig.home, 'victim');
    writeFileSync(victim, 'x');
    const p = rig.spawnGuard(['exec', '--', 'rm', victim], { env });
    const [, id] = await p.waitFor(ID);
    writeFileSync(join(dir, 'rm'), '#!/bin/sh\nexit 0\n'); // same inode, new bytes
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    const r = await p.done;
    expect(r.code).toBe(ExitCode.NOT_APPROVED);
    expect(r.stderr).toMatch(/modified after it was hashed/);
    expect(existsSync(victim)).toBe(true);
  });

  it('refuses a script whose path names another file by the time it is approved', async () => {
    const bin = join(rig.home, 'sbin');
    mkdirSync(bin);
    copyFileSync(MARK, join(bin, 'mark'));
    chmodSync(join(bin, 'mark'), 0o755);
    const env = { ...rig.env, PATH: `${bin}:${rig.env['PATH'] ?? ''}` };
    const proof = join(rig.home, 'swapped');
    const p = rig.spawnGuard(['exec', '--', 'mark', rig.marker, 'approve-me'], { env });
    const [, id] = await p.waitFor(ID);
    impostor(join(bin, 'mark'), proof);
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    const r = await p.done;
    expect(r.code).toBe(ExitCode.NOT_APPROVED);
    expect(r.stderr).toMatch(/replaced after it was hashed/);
    expect(existsSync(proof)).toBe(false);
    expect(rig.marks()).toEqual([]);
  });

  it('runs an approved script from its path (its $0 and exit status as without guard)', async () => {
    const p = rig.exec('approve-me');
    const [, id] = await p.waitFor(ID);
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    expect((await p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    const [start] = await execStarts();
    expect(start).toMatchObject({ requestId: id, programSha256: sha256(MARK) });
  });
});

/** Ask with --no-wait, approve, and return the id; the grant is then waiting to be used. */
async function granted(env: NodeJS.ProcessEnv): Promise<string> {
  const r = await rig.guard(['exec', '--no-wait', '--', MARK, rig.marker, 'approve-me'], { env });
  expect(r.code, r.stderr).toBe(ExitCode.PENDING);
  const id = r.stdout.trim();
  expect((await rig.approve(id, 'alice')).code).toBe(0);
  return id;
}

const rerun = (env: NodeJS.ProcessEnv) =>
  rig.guard(['exec', '--no-wait', '--', MARK, rig.marker, 'approve-me'], { env });

describe('the environment is bound', () => {
  it.each([
    ['TF_WORKSPACE', 'staging', 'prod'],
    ['KUBECONFIG', '/home/agent/.kube/staging', '/home/agent/.kube/prod'],
    ['AWS_PROFILE', 'staging', 'prod'],
    ['PGHOST', 'db.staging.internal', 'db.prod.internal'],
    ['DEPLOY_TARGET', 'staging', 'prod'], // named by the policy's own env match
  ])('a grant approved with %s=%s is not used with %s', async (name, approved, other) => {
    const base = { ...rig.env, [name]: approved };
    await granted(base);
    const r = await rerun({ ...base, [name]: other });
    expect(r.code).toBe(ExitCode.PENDING); // a new request, not the grant
    expect(rig.marks()).toEqual([]);
    const unset = { ...base };
    delete unset[name];
    expect((await rerun(unset)).code).toBe(ExitCode.PENDING);
    expect(rig.marks()).toEqual([]);
    expect((await rerun(base)).code).toBe(0); // the approved environment uses the grant
    expect(rig.marks()).toHaveLength(1);
  });

  it('shows the reviewer the bound values, secrets redacted', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYzz';
    const token = 'FwoGZXIvYXdzEJr7xQ9mK2pLw8vN3tY6uH1sD4fG7jA0';
    const password = 'S3cr3t-Pa55w0rd-9f8e7d';
    const id = await granted({
      ...rig.env,
      TF_WORKSPACE: 'staging',
      PGHOST: 'db.staging.internal',
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_SESSION_TOKEN: token,
      DATABASE_URL: `postgres://app:${password}@db.staging.internal/app`,
    });
    const show = await rig.guard(['show', id, '--json']);
    expect(show.code, show.stderr).toBe(0);
    const context = (JSON.parse(show.stdout) as { view: { context: Record<string, string> } }).view.context;
    expect(context).toMatchObject({ 'env.TF_WORKSPACE': 'staging', 'env.PGHOST': 'db.staging.internal' });
    expect(context['env.AWS_SECRET_ACCESS_KEY']).toBeDefined();
    const ledger = JSON.stringify(await rig.ledger());
    for (const s of [secret, token, password]) {
      expect(show.stdout).not.toContain(s);
      expect(ledger).not.toContain(s);
    }
  });
});

describe('the files behind the arguments are bound', () => {
  function dirs(): { a: string; other: string } {
    const a = join(rig.home, 'a');
    const other = join(rig.home, 'other');
    mkdirSync(a);
    mkdirSync(other);
    writeFileSync(join(a, 'scratch'), 'x');
    writeFileSync(join(other, 'precious'), 'keep me');
    return { a, other };
  }
  function redirect(a: string, other: string): void {
    renameSync(a, `${a}.orig`);
    symlinkSync(other, a);
  }

  it('does not use a grant for rm -rf ./a/ once ./a is a symlink to another directory', async () => {
    const { a, other } = dirs();
    const first = await rig.guard(['exec', '--no-wait', '--', 'rm', '-rf', './a/']);
    expect(first.code, first.stderr).toBe(ExitCode.PENDING);
    const id = first.stdout.trim();
    expect((await rig.approve(id, 'alice')).code).toBe(0);
    redirect(a, other);
    const again = await rig.guard(['exec', '--no-wait', '--', 'rm', '-rf', './a/']);
    expect(again.code).toBe(ExitCode.PENDING);
    expect(readFileSync(join(other, 'precious'), 'utf8')).toBe('keep me');
    expect((await rig.ledger()).filter((r) => r.type === 'exec_start')).toEqual([]);
    // the reviewer was shown where ./a/ led when it was approved
    const show = JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as {
      view: { context: Record<string, string> };
    };
    expect(show.view.context['target../a/']).toBe(a);
  });

  it('refuses a waiting rm -rf ./a/ whose ./a became a symlink before the approval', async () => {
    const { a, other } = dirs();
    const p = rig.spawnGuard(['exec', '--', 'rm', '-rf', './a/']);
    const [, id] = await p.waitFor(ID);
    redirect(a, other);
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    const r = await p.done;
    expect(r.code).toBe(ExitCode.NOT_APPROVED);
    expect(r.stderr).toMatch(/now resolves to .*other/);
    expect(readFileSync(join(other, 'precious'), 'utf8')).toBe('keep me');
    expect(existsSync(join(`${a}.orig`, 'scratch'))).toBe(true);
  });

  it('runs rm -rf ./a/ when nothing moved', async () => {
    const { a, other } = dirs();
    const p = rig.spawnGuard(['exec', '--', 'rm', '-rf', './a/']);
    const [, id] = await p.waitFor(ID);
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    expect((await p.done).code).toBe(0);
    expect(existsSync(a)).toBe(false);
    expect(existsSync(join(other, 'precious'))).toBe(true);
  });
});
