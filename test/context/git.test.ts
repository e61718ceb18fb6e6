import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gatherContext, stripUrlCredentials } from '../../src/context/index.js';
import { QUICK_PACKED_REFS_MAX } from '../../src/context/git.js';

let dir: string;
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: dir,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@x',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@x',
    },
  }).trim();
const ctx = (cwd: string, argv: string[] = ['true']) =>
  gatherContext({ env: { PATH: process.env['PATH'], HOME: dir }, cwd, argv });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'guard-ctx-git-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function repo(name = 'repo'): string {
  const r = join(dir, name);
  mkdirSync(r);
  git(r, 'init', '-q', '-b', 'feature/PROJ-42-rotate');
  writeFileSync(join(r, 'a.txt'), 'one\n');
  git(r, 'add', 'a.txt');
  git(r, 'commit', '-q', '-m', 'init');
  return r;
}

describe('git context', () => {
  it('reads root, branch, commit, remote, clean state and the ticket from a real repo', async () => {
    const r = repo();
    git(r, 'remote', 'add', 'origin', 'https://bot:s3cr3tpw@github.com/acme/api.git');
    mkdirSync(join(r, 'sub', 'deep'), { recursive: true });
    const c = await ctx(join(r, 'sub', 'deep'));
    expect(c.git).toEqual({
      root: r,
      branch: 'feature/PROJ-42-rotate',
      commit: git(r, 'rev-parse', 'HEAD'),
      remote: 'https://github.com/acme/api.git',
      dirty: false,
    });
    expect(c.ticket).toBe('PROJ-42');
  });

  it('sees a modified or deleted tracked file as dirty', async () => {
    const r = repo();
    writeFileSync(join(r, 'a.txt'), 'two, longer\n');
    expect((await ctx(r)).git?.dirty).toBe(true);
    git(r, 'checkout', '--', 'a.txt');
    expect((await ctx(r)).git?.dirty).toBe(false);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(r, 'a.txt'), later, later);
    expect((await ctx(r)).git?.dirty).toBe(true);
    rmSync(join(r, 'a.txt'));
    expect((await ctx(r)).git?.dirty).toBe(true);
  });

  it('resolves refs from packed-refs and a detached HEAD', async () => {
    const r = repo();
    const head = git(r, 'rev-parse', 'HEAD');
    git(r, 'pack-refs', '--all');
    expect((await ctx(r)).git?.commit).toBe(head);
    git(r, 'checkout', '-q', '--detach');
    const g = (await ctx(r)).git;
    expect(g?.commit).toBe(head);
    expect(g?.branch).toBeUndefined();
  });

  it('quick context: reads packed-refs only up to a bound, so 200,000 refs cost nothing per exec', async () => {
    const r = repo();
    const head = git(r, 'rev-parse', 'HEAD');
    git(r, 'pack-refs', '--all');
    const quick = (cwd: string) =>
      gatherContext({ env: { PATH: process.env['PATH'], HOME: dir }, cwd, argv: ['true'], quick: true });
    // a small packed-refs is still read in quick mode
    expect((await quick(r)).git?.commit).toBe(head);
    // 200,000 other refs (about 10 MB): the quick context skips the file, the full one still reads it
    const packed = join(r, '.git', 'packed-refs');
    const many = Array.from({ length: 200_000 }, (_, i) => `${'0'.repeat(40)} refs/tags/t${i}`).join('\n');
    writeFileSync(packed, `${readFileSync(packed, 'utf8')}${many}\n`);
    expect(statSync(packed).size).toBeGreaterThan(QUICK_PACKED_REFS_MAX);
    const g = (await quick(r)).git;
    expect(g?.branch).toBe('feature/PROJ-42-rotate');
    expect(g?.commit).toBeUndefined();
    expect((await ctx(r)).git?.commit).toBe(head);
  });

  it('follows a worktree .git file to its own HEAD and the shared refs and config', async () => {
    const r = repo();
    git(r, 'remote', 'add', 'origin', 'git@github.com:acme/api.git');
    const wt = join(dir, 'wt');
    git(r, 'worktree', 'add', '-q', '-b', 'fix/abc-7-thing', wt);
    const g = (await ctx(wt)).git;
    expect(g).toMatchObject({
      root: wt,
      branch: 'fix/abc-7-thing',
      commit: git(r, 'rev-parse', 'HEAD'),
      remote: 'git@github.com:acme/api.git',
      dirty: false,
    });
    expect((await ctx(wt)).ticket).toBe('ABC-7');
  });

  it('omits what it cannot read: garbage HEAD, garbage index, no repo', async () => {
    const r = repo();
    writeFileSync(join(r, '.git', 'HEAD'), '\u0000\u0001garbage');
    writeFileSync(join(r, '.git', 'index'), 'DIRC garbage');
    writeFileSync(join(r, '.git', 'config'), '[[[ not ini');
    const c = await ctx(r);
    expect(c.git).toEqual({ root: r });
    const bare = join(dir, 'nothing');
    mkdirSync(bare);
    expect((await ctx(bare)).git).toBeUndefined();
    writeFileSync(join(bare, '.git'), 'not a gitdir line');
    expect((await ctx(bare)).git).toBeUndefined();
  });
});

describe('stripUrlCredentials', () => {
  it('drops userinfo from http(s) and database URLs, keeps ssh users', () => {
    expect(stripUrlCredentials('https://user:pw@github.com/a/b.git')).toBe('https://github.com/a/b.git');
    expect(stripUrlCredentials('https://tokenonly123@github.com/a/b.git')).toBe('https://github.com/a/b.git');
    expect(stripUrlCredentials('ssh://git@github.com/a/b.git')).toBe('ssh://git@github.com/a/b.git');
    expect(stripUrlCredentials('ssh://git:pw@host/a.git')).toBe('ssh://host/a.git');
    expect(stripUrlCredentials('git@github.com:a/b.git')).toBe('git@github.com:a/b.git');
    expect(stripUrlCredentials('/srv/git/a.git')).toBe('/srv/git/a.git');
  });
});
