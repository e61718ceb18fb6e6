import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { unlockApproverKey, type ApproverRecord } from '../../src/approval/index.js';
import { runGuard } from '../../src/cli/run.js';
import { tempDirs } from './helpers.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

describe('guard approver (in-process CLI)', () => {
  const tmp = tempDirs();

  function install() {
    const root = tmp();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: root,
      GUARD_HOME: join(root, 'guard'),
      GUARD_APPROVER_HOME: join(root, 'approver'),
    };
    const pass = (name: string, text = `long passphrase of ${name}`) => {
      const f = join(root, `${name}.pass`);
      writeFileSync(f, `${text}\n`, { mode: 0o600 });
      return f;
    };
    const run = async (argv: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
      const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
      const code = await runGuard(argv, {
        env: { ...env, ...extraEnv },
        stdout,
        stderr,
        stdin: new PassThrough(),
        cwd: root,
      });
      return { code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
    };
    const registry = () =>
      existsSync(join(root, 'guard', 'approvers')) ? readdirSync(join(root, 'guard', 'approvers')).sort() : [];
    /** `guard approver enroll --name NAME --group sre --passphrase-file <NAME's file> ...extra` */
    const enroll = (name: string, ...extra: string[]) =>
      run(['approver', 'enroll', '--name', name, '--group', 'sre', '--passphrase-file', pass(name), ...extra]);
    return { root, env, pass, run, registry, enroll };
  }

  it('enrolls the bootstrap approver, then lists and shows it', async () => {
    const g = install();
    const r = await g.run([
      ...'approver enroll --name alice --group sre --group dba --email alice@example.com --passphrase-file'.split(' '),
      g.pass('alice'),
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('enrolled approver alice (bootstrap approver)');
    const keyPath = join(g.root, 'approver', 'alice.key');
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(g.root, 'approver')).mode & 0o777).toBe(0o700);
    expect(statSync(join(g.root, 'guard', 'approvers')).mode & 0o777).toBe(0o700);
    expect(g.registry()).toEqual(['alice.json']);
    // the registry holds public material only; the key file decrypts with the passphrase
    const rec = JSON.parse(readFileSync(join(g.root, 'guard', 'approvers', 'alice.json'), 'utf8')) as ApproverRecord;
    expect(unlockApproverKey(readFileSync(keyPath, 'utf8'), Buffer.from('long passphrase of alice')).publicKey).toBe(
      rec.publicKey,
    );
    expect(JSON.stringify(rec)).not.toContain('ciphertext');

    const list = await g.run(['approver', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^NAME\s+GROUPS\s+KEY/);
    expect(list.out).toContain(`alice  sre,dba  ${rec.fingerprint.slice(0, 16)}`);
    const json = await g.run(['approver', 'list', '--json']);
    expect(JSON.parse(json.out)).toEqual([rec]);
    const show = await g.run(['approver', 'show', 'alice', '--json']);
    expect(JSON.parse(show.out)).toEqual(rec);
    const human = await g.run(['approver', 'show', 'alice']);
    expect(human.out).toContain(`private key here:  ${keyPath}`);
    expect((await g.run(['approver', 'show', 'zed'])).code).toBe(64);
  });

  it('requires an endorsement once an approver exists, and accepts a real one', async () => {
    const g = install();
    expect((await g.enroll('alice')).code).toBe(0);
    const unendorsed = await g.enroll('bob');
    expect(unendorsed.code).toBe(64);
    expect(unendorsed.err).toContain('must be endorsed');
    expect(unendorsed.err).toContain('--endorse-by NAME');
    expect(existsSync(join(g.root, 'approver', 'bob.key'))).toBe(false);

    const wrong = await g.enroll(
      'bob',
      '--endorse-by',
      'alice',
      '--endorser-passphrase-file',
      g.pass('guess', 'not alices passphrase'),
    );
    expect(wrong.code).toBe(64);
    expect(wrong.err).toContain('wrong passphrase');
    expect(existsSync(join(g.root, 'approver', 'bob.key'))).toBe(false);
    expect(g.registry()).toEqual(['alice.json']);

    const ok = await g.enroll('bob', '--endorse-by', 'alice', '--endorser-passphrase-file', g.pass('alice'));
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('endorsed by alice');
    expect(g.registry()).toEqual(['alice.json', 'bob.json']);
    const listed = JSON.parse((await g.run(['approver', 'list', '--json'])).out) as ApproverRecord[];
    expect(listed.map((a) => [a.name, a.endorsedBy])).toEqual([
      ['alice', undefined],
      ['bob', 'alice'],
    ]);
  });

  it('refuses to run under an agent', async () => {
    const g = install();
    for (const v of ['GUARD_AGENT', 'CLAUDECODE', 'GEMINI_CLI']) {
      const r = await g.run(
        ['approver', 'enroll', '--name', 'alice', '--group', 'sre', '--passphrase-file', g.pass('alice')],
        { [v]: '1' },
      );
      expect(r.code).toBe(64);
      expect(r.err).toContain(`${v} is set`);
    }
    expect(g.registry()).toEqual([]);
  });

  it('never takes the passphrase from the environment; needs a TTY, file or fd', async () => {
    const g = install();
    const r = await g.run(['approver', 'enroll', '--name', 'alice', '--group', 'sre'], {
      GUARD_APPROVER_PASSPHRASE: 'long passphrase of alice',
      GUARD_PASSPHRASE: 'x'.repeat(20),
    });
    expect(r.code).toBe(64);
    expect(r.err).toContain('--passphrase-file');
    expect(g.registry()).toEqual([]);
  });

  it('refuses a short passphrase and bad names, leaving nothing behind', async () => {
    const g = install();
    const short = await g.run([
      ...'approver enroll --name alice --group sre --passphrase-file'.split(' '),
      g.pass('alice', 'short'),
    ]);
    expect(short.code).toBe(64);
    expect(short.err).toContain('shorter than 12');
    const bad = await g.run([
      ...'approver enroll --name ../x --group sre --passphrase-file'.split(' '),
      g.pass('alice'),
    ]);
    expect(bad.code).toBe(64);
    const badGroup = await g.run([
      'approver',
      'enroll',
      '--name',
      'alice',
      '--group',
      'no spaces',
      '--passphrase-file',
      g.pass('alice'),
    ]);
    expect(badGroup.code).toBe(64);
    expect(g.registry()).toEqual([]);
    expect(existsSync(join(g.root, 'approver', 'alice.key'))).toBe(false);
    expect((await g.run([...'approver enroll --name alice --passphrase-file'.split(' '), g.pass('alice')])).code).toBe(
      64,
    ); // --group required
  });

  it('reads the passphrase from a pipe fd', async () => {
    const g = install();
    const fifo = join(g.root, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const child = spawn('sh', ['-c', 'printf "piped long passphrase" > "$1"', 'sh', fifo], { stdio: 'ignore' });
    const fd = openSync(fifo, 'r');
    try {
      const r = await g.run([...'approver enroll --name alice --group sre --passphrase-fd'.split(' '), String(fd)]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    } finally {
      closeSync(fd);
    }
    await new Promise((res) => child.on('exit', res));
    expect(
      unlockApproverKey(
        readFileSync(join(g.root, 'approver', 'alice.key'), 'utf8'),
        Buffer.from('piped long passphrase'),
      ).publicKey,
    ).toMatch(/=$/);
    expect((await g.run([...'approver enroll --name bob --group sre --passphrase-fd'.split(' '), 'three'])).code).toBe(
      64,
    );
  });

  it('an empty registry lists nothing and says how to start', async () => {
    const g = install();
    const r = await g.run(['approver', 'list']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('no approvers enrolled');
    expect(JSON.parse((await g.run(['approver', 'list', '--json'])).out)).toEqual([]);
  });
});
