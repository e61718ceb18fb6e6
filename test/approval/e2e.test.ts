/**
 * The built CLI (bin/guard.js → dist) in real child processes: a passphrase on an inherited pipe
 * fd, and a real pseudo-terminal prompt with echo off.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unlockApproverKey } from '../../src/approval/index.js';
import { tempDirs } from './helpers.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'guard.js');

function cleanEnv(root: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: root,
    GUARD_HOME: join(root, 'guard'),
    GUARD_APPROVER_HOME: join(root, 'approver'),
  };
}

describe('guard approver enroll (built CLI)', () => {
  const tmp = tempDirs();

  it('reads the passphrase from an inherited pipe on fd 3', async () => {
    const root = tmp();
    const child = spawn(
      process.execPath,
      [bin, 'approver', 'enroll', '--name', 'alice', '--group', 'sre', '--passphrase-fd', '3'],
      {
        env: cleanEnv(root),
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    const fd3 = child.stdio[3] as NodeJS.WritableStream;
    fd3.end('a passphrase on fd three\n');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(Buffer.concat(err).toString()).toBe('');
    expect(code).toBe(0);
    expect(Buffer.concat(out).toString()).toContain('enrolled approver alice');
    const key = unlockApproverKey(
      readFileSync(join(root, 'approver', 'alice.key'), 'utf8'),
      Buffer.from('a passphrase on fd three'),
    );
    expect(key.publicKey).toHaveLength(44);
  });

  it('prompts twice on a real terminal without echoing the passphrase', () => {
    const root = tmp();
    // python's pty module gives the CLI a real pseudo-terminal; input is sent only after each prompt
    const driver = `
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
buf = b''
def until(marker):
    global buf
    while marker not in buf:
        chunk = os.read(fd, 1024)
        if not chunk: raise SystemExit('eof before ' + marker.decode())
        buf += chunk
until(b'New passphrase')
os.write(fd, b'typed on a terminal\\r')
until(b'Same passphrase')
os.write(fd, b'typed on a terminal\\r')
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk: break
    buf += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(buf)
sys.exit(os.waitstatus_to_exitcode(status))
`;
    const r = spawnSync(
      'python3',
      ['-c', driver, process.execPath, bin, 'approver', 'enroll', '--name', 'tty-user', '--group', 'sre'],
      {
        env: {
          ...cleanEnv(root),
          PYENV_VERSION: process.env['PYENV_VERSION'],
          PYENV_ROOT: process.env['PYENV_ROOT'],
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('enrolled approver tty-user');
    expect(r.stdout).not.toContain('typed on a terminal');
    const key = unlockApproverKey(
      readFileSync(join(root, 'approver', 'tty-user.key'), 'utf8'),
      Buffer.from('typed on a terminal'),
    );
    expect(key.publicKey).toHaveLength(44);
  });
});
