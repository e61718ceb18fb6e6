/**
 * A command that runs a script file is judged on the file's content, read by the daemon at
 * decision time, and an approval binds the content's digest (issue 22 "across lines", decision
 * 0125). Real daemon and `guard exec` processes, the shipped default pack, real bash and files.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { Rig } from '../daemon/helpers.js';

const ID = /request (rq-[0-9a-f]{12}) is waiting/;

let rig: Rig;
let proof: string;
beforeEach(async () => {
  rig = new Rig();
  await rig.startDaemon([], { layers: true }); // the shipped pack, as in real use
  await rig.enroll('alice', ['ops']);
  proof = join(rig.home, 'proof');
});
afterEach(() => rig.cleanup());

/** A script in the rig's working directory that proves it ran by writing `proof`. */
function script(name: string, body: string): string {
  const path = join(rig.home, name);
  writeFileSync(path, `#!/bin/bash\n${body}\necho ran >> '${proof}'\n`, { mode: 0o755 });
  return path;
}

const DANGEROUS = 'rm -rf /srv/guard-pol-e2e-none';

async function reasons(id: string): Promise<string> {
  const show = await rig.guard(['show', id, '--json']);
  expect(show.code, show.stderr).toBe(0);
  return show.stdout;
}

describe('the daemon judges the script a command runs', () => {
  it.each([[['bash', './deploy.sh']], [['sh', 'deploy.sh']], [['./deploy.sh']]])(
    '%j is held when the script deletes under /srv',
    async (argv) => {
      script('deploy.sh', DANGEROUS);
      const r = await rig.guard(['exec', '--no-wait', '--', ...argv]);
      expect(r.code, r.stderr).toBe(ExitCode.PENDING);
      expect(await reasons(r.stdout.trim())).toMatch(/srv\/guard-pol-e2e-none/);
      expect(existsSync(proof)).toBe(false);
    },
  );

  it('runs an innocent script at once', async () => {
    script('build.sh', 'echo building; ls >/dev/null');
    const r = await rig.guard(['exec', '--', 'bash', './build.sh']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(proof, 'utf8')).toBe('ran\n');
  });

  it('holds a script too large to judge, and never runs it unapproved', async () => {
    script('big.sh', `echo hi\n${'# padding\n'.repeat(30_000)}`);
    const r = await rig.guard(['exec', '--no-wait', '--', 'bash', 'big.sh']);
    expect(r.code, r.stderr).toBe(ExitCode.PENDING);
    expect(await reasons(r.stdout.trim())).toMatch(/over the 262144 bytes guard reads/);
    expect(existsSync(proof)).toBe(false);
  });

  it('holds a script it cannot read (a missing file is not allowed on trust)', async () => {
    const r = await rig.guard(['exec', '--no-wait', '--', 'bash', './not-yet.sh']);
    expect(r.code, r.stderr).toBe(ExitCode.PENDING);
  });
});

describe('an approval binds the script content', () => {
  it('refuses a waiting request whose script was rewritten before the approval', async () => {
    const path = script('deploy.sh', DANGEROUS);
    const p = rig.spawnGuard(['exec', '--', 'bash', './deploy.sh']);
    const [, id] = await p.waitFor(ID);
    writeFileSync(path, `#!/bin/bash\necho swapped >> '${proof}'\n`); // same path, other content
    expect((await rig.approve(id!, 'alice')).code).toBe(0);
    const r = await p.done;
    expect(r.code).toBe(ExitCode.NOT_APPROVED);
    expect(r.stderr).toMatch(/deploy\.sh changed after it was judged and approved; nothing was run/);
    expect(existsSync(proof)).toBe(false);
    expect((await rig.ledger()).filter((x) => x.type === 'exec_start')).toEqual([]);
  });

  it('a grant is used only while the script holds the approved content', async () => {
    const path = script('deploy.sh', DANGEROUS);
    const first = await rig.guard(['exec', '--no-wait', '--', 'bash', './deploy.sh']);
    expect(first.code, first.stderr).toBe(ExitCode.PENDING);
    expect((await rig.approve(first.stdout.trim(), 'alice')).code).toBe(0);
    const approved = readFileSync(path, 'utf8');
    writeFileSync(path, `#!/bin/bash\nrm -rf /srv/guard-pol-e2e-other\necho swapped >> '${proof}'\n`);
    const swapped = await rig.guard(['exec', '--no-wait', '--', 'bash', './deploy.sh']);
    expect(swapped.code).toBe(ExitCode.PENDING); // a new request: the grant does not cover this content
    expect(existsSync(proof)).toBe(false);
    writeFileSync(path, approved);
    const again = await rig.guard(['exec', '--no-wait', '--', 'bash', './deploy.sh']);
    expect(again.code, again.stderr).toBe(0); // the approved content uses the grant
    expect(readFileSync(proof, 'utf8')).toBe('ran\n');
  });
});
