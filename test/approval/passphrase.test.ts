import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readPassphrase } from '../../src/approval/index.js';
import { UsageError } from '../../src/errors.js';
import { tempDirs } from './helpers.js';

function sink(): PassThrough & { text: () => string } {
  const s = new PassThrough() as PassThrough & { text: () => string };
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.text = () => Buffer.concat(chunks).toString();
  return s;
}

/** A stdin that behaves like a TTY: records raw-mode switches. */
function fakeTty(): PassThrough & {
  isTTY: boolean;
  isRaw: boolean;
  modes: boolean[];
  setRawMode: (m: boolean) => void;
} {
  const s = new PassThrough() as PassThrough & {
    isTTY: boolean;
    isRaw: boolean;
    modes: boolean[];
    setRawMode: (m: boolean) => void;
  };
  s.isTTY = true;
  s.isRaw = false;
  s.modes = [];
  s.setRawMode = (m) => {
    s.isRaw = m;
    s.modes.push(m);
  };
  return s;
}

const base = { tty: false, prompt: 'Passphrase: ', stdin: new PassThrough(), stderr: sink() };

describe('readPassphrase', () => {
  const tmp = tempDirs();

  it('reads a file, dropping one trailing newline only', async () => {
    const f = join(tmp(), 'p');
    writeFileSync(f, '  spaced pass \r\n');
    expect((await readPassphrase({ ...base, passphraseFile: f })).toString()).toBe('  spaced pass ');
    writeFileSync(f, 'two\n\n');
    expect((await readPassphrase({ ...base, passphraseFile: f })).toString()).toBe('two\n');
  });

  it('refuses an empty, missing or oversized file', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'empty'), '\n');
    await expect(readPassphrase({ ...base, passphraseFile: join(dir, 'empty') })).rejects.toThrow(/empty/);
    await expect(readPassphrase({ ...base, passphraseFile: join(dir, 'missing') })).rejects.toThrow(UsageError);
    writeFileSync(join(dir, 'big'), Buffer.alloc(70 * 1024, 0x61));
    await expect(readPassphrase({ ...base, passphraseFile: join(dir, 'big') })).rejects.toThrow(/larger than/);
  });

  it('reads a pipe fd (a FIFO written by a real child process) to its end', async () => {
    const fifo = join(tmp(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const child = spawn('sh', ['-c', 'printf "from the pipe\\n" > "$1"', 'sh', fifo], { stdio: 'ignore' });
    const fd = openSync(fifo, 'r'); // blocks until the child opens the write end
    try {
      expect((await readPassphrase({ ...base, passphraseFd: fd })).toString()).toBe('from the pipe');
    } finally {
      closeSync(fd);
    }
    await new Promise((r) => child.on('exit', r));
  });

  it('reads a regular-file fd and refuses fds 0-2, bad numbers and file+fd together', async () => {
    const f = join(tmp(), 'p');
    writeFileSync(f, 'file fd pass');
    const fd = openSync(f, 'r');
    try {
      expect((await readPassphrase({ ...base, passphraseFd: fd })).toString()).toBe('file fd pass');
    } finally {
      closeSync(fd);
    }
    await expect(readPassphrase({ ...base, passphraseFd: 0 })).rejects.toThrow(/stdin/);
    await expect(readPassphrase({ ...base, passphraseFd: -1 })).rejects.toThrow(/invalid/);
    await expect(readPassphrase({ ...base, passphraseFd: 987 })).rejects.toThrow(/cannot read passphrase fd/);
    await expect(readPassphrase({ ...base, passphraseFile: f, passphraseFd: 5 })).rejects.toThrow(/not both/);
  });

  it('without a TTY, file or fd: refuses and says how, even with passphrase-looking env vars set', async () => {
    const names = ['GUARD_PASSPHRASE', 'GUARD_APPROVER_PASSPHRASE', 'PASSPHRASE', 'GUARD_ENDORSER_PASSPHRASE'];
    for (const n of names) process.env[n] = 'from the environment';
    try {
      const p = readPassphrase(base);
      await expect(p).rejects.toThrow(UsageError);
      await expect(p).rejects.toMatchObject({ hint: expect.stringContaining('--passphrase-file') as string });
    } finally {
      for (const n of names) delete process.env[n];
    }
  });

  it('prompts on a TTY with echo off, handles backspace, restores the mode', async () => {
    const stdin = fakeTty();
    const stderr = sink();
    const p = readPassphrase({ tty: true, prompt: 'Passphrase: ', stdin, stderr });
    stdin.write('sécrez\x7ft');
    stdin.write('\rignored');
    expect((await p).toString()).toBe('sécret');
    expect(stdin.modes).toEqual([true, false]);
    expect(stderr.text()).toBe('Passphrase: \n');
  });

  it('Ctrl-C at the prompt cancels; a TTY without raw mode is refused', async () => {
    const stdin = fakeTty();
    const p = readPassphrase({ tty: true, prompt: '> ', stdin, stderr: sink() });
    stdin.write('abc\x03');
    await expect(p).rejects.toThrow(/cancelled/);
    expect(stdin.isRaw).toBe(false);
    await expect(readPassphrase({ tty: true, prompt: '> ', stdin: new PassThrough(), stderr: sink() })).rejects.toThrow(
      /cannot turn off echo/,
    );
  });
});
