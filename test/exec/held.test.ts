/**
 * holdProgram + runCommand with real files and processes: the file that runs is the one that was
 * opened and hashed, also on the bash path used for non-UTF-8 argument bytes (descriptor as fd 3).
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkHeld, holdProgram } from '../../src/exec/held.js';
import { runCommand } from '../../src/exec/run.js';

const TOUCH = ['/usr/bin/touch', '/bin/touch'].find((p) => existsSync(p))!;

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gbx-held-'));
  copyFileSync(TOUCH, join(dir, 'touch'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function swap(): string {
  const proof = join(dir, 'swapped');
  writeFileSync(join(dir, 'touch.new'), `#!/bin/sh\necho swapped > '${proof}'\n`, { mode: 0o755 });
  renameSync(join(dir, 'touch.new'), join(dir, 'touch'));
  return proof;
}

describe('a held program', () => {
  it('is hashed through its descriptor and found as execvp would', async () => {
    const env = { PATH: `${dir}:/usr/bin:/bin` };
    const held = (await holdProgram('touch', env, '/'))!;
    try {
      expect(held.path).toBe(join(dir, 'touch'));
      expect(held.script).toBe(false);
      expect(held.sha256).toBe(createHash('sha256').update(readFileSync(TOUCH)).digest('hex'));
    } finally {
      await held.handle.close();
    }
    expect(await holdProgram('no-such-program-gbx', env, '/')).toBeUndefined();
  });

  it('runs from the descriptor after a swap, with exact non-UTF-8 argument bytes', async () => {
    const env = { PATH: `${dir}:/usr/bin:/bin` };
    const held = (await holdProgram('touch', env, dir))!;
    const proof = swap();
    await checkHeld(held); // same bytes in the held file: a rename over its name is not a change
    const name = Buffer.from([0x61, 0xff]);
    const raw = [Buffer.from('touch'), Buffer.concat([Buffer.from(`${dir}/`), name])];
    const r = await runCommand({
      file: 'touch',
      args: [raw[1]!.toString()],
      raw,
      cwd: dir,
      env,
      program: { fd: held.handle.fd, path: held.path, script: held.script },
    });
    await held.handle.close();
    expect(r.exitCode).toBe(0);
    expect(existsSync(proof)).toBe(false);
    expect(readdirSync(dir, { encoding: 'buffer' }).some((n) => n.equals(name))).toBe(true);
  });

  it('is refused when its bytes change through another descriptor', async () => {
    const held = (await holdProgram(join(dir, 'touch'), {}, dir))!;
    writeFileSync(join(dir, 'touch'), '#!/bin/sh\nexit 0\n');
    await expect(checkHeld(held)).rejects.toThrow(/modified after it was hashed/);
    await held.handle.close();
  });
});
