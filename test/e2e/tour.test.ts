/**
 * The README's "Five minutes with guard" tour, typed as written into a real shell in a real
 * terminal (tmux), twice in a row in the same shell: each run's `export GUARD_HOME=$(mktemp -d)`
 * must give a fresh installation (its own approver key, daemon and ledger), so the second run
 * succeeds like the first. `guard` is on PATH as `npm link` puts it there; HOME is a scratch
 * directory, so nothing of the machine's own approver keys is read or written.
 *
 * Also proves, on the real terminal: the new-passphrase prompt states the minimum, and a short
 * passphrase is asked again instead of ending the enrolment.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, onTestFailed, test } from 'vitest';
import { AGENT_ENV_VARS } from '../../src/approval/agent-env.js';
import { ROOT } from '../daemon/helpers.js';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const PASS = 'tour passphrase of alice';

/** The shell lines of the README's tour, in order. */
function tourLines(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /### Five minutes with guard\n+```sh\n([\s\S]*?)\n```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no "Five minutes with guard" sh block');
  return block.split('\n').filter((l) => l.trim() !== '');
}

/** The exit status each tour line must end with (its comment in the README says so). */
function expectedStatus(line: string): number {
  if (line.startsWith('guard check ')) return 75;
  if (line.includes('curl')) return 77;
  return 0;
}

describe.skipIf(!HAS_TMUX)('the README tour, twice in one shell (tmux)', () => {
  const root = mkdtempSync('/tmp/fh-tour-');
  const home = join(root, 'home');
  const work = join(root, 'work');
  const bin = join(root, 'bin');
  const status = join(root, 'status');
  for (const d of [home, work, bin]) mkdirSync(d);
  symlinkSync(join(ROOT, 'bin', 'guard'), join(bin, 'guard')); // what `npm link` does
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
    HOME: home,
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    TMUX_TMPDIR: root,
    // the ledger's signing key in a file: a test machine has no desktop keychain session
    GUARD_KEYSTORE: 'file',
  };
  for (const k of AGENT_ENV_VARS) delete env[k];
  const socket = `fh-tour-${process.pid}`;
  const homes: string[] = [];

  const tmux = (...args: string[]): string => {
    const r = spawnSync('tmux', ['-L', socket, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const type = (w: string, text: string) => tmux('send-keys', '-t', w, '-l', text);
  const key = (w: string, k: string) => tmux('send-keys', '-t', w, k);
  const screen = (w: string) => tmux('capture-pane', '-p', '-J', '-t', w, '-S', '-200');
  let waitingFor = '';
  async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
    // no deadline of its own: the test timeout ends a tour that never gets there (and says where)
    waitingFor = what;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const waitScreen = (w: string, re: RegExp) =>
    until(`${re}`, () => {
      const s = screen(w);
      return re.test(s) ? s : undefined;
    });
  /** Prompt statuses so far: one `rc GUARD_HOME` line per finished command line. */
  const statuses = () =>
    existsSync(status)
      ? readFileSync(status, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' '))
      : [];

  afterAll(() => {
    for (const h of homes)
      spawnSync(join(ROOT, 'bin', 'guard'), ['daemon', 'stop'], { env: { ...env, GUARD_HOME: h }, stdio: 'ignore' });
    spawnSync('tmux', ['-L', socket, 'kill-server'], { env });
    rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }); // a stopping daemon may still remove its files
  });

  test('every line ends as the README says, both times', { timeout: 180_000 }, async () => {
    onTestFailed(() => {
      const windows = tmux('list-windows', '-F', '#{window_index}').split('\n').filter(Boolean);
      const screens = windows.map((w) => `--- window ${w} ---\n${screen(`t:${w}`)}`).join('\n');
      process.stderr.write(`tour stopped waiting for: ${waitingFor}\n${screens}\n`);
    });
    const lines = tourLines();
    expect(lines[0]).toMatch(/^export GUARD_HOME=\$\(mktemp -d\)/);
    const sh = 't:0';
    // one interactive shell for both runs; each prompt records the last status and GUARD_HOME
    tmux('new-session', '-d', '-s', 't', '-x', '160', '-y', '50', '-c', work, 'bash --norc --noprofile -i');
    type(sh, `PROMPT_COMMAND='echo "$? \${GUARD_HOME:--}" >> ${status}'; PS1='tour$ '`);
    key(sh, 'Enter');
    await until('the shell', () => (statuses().length >= 1 ? true : undefined));

    for (const run of [1, 2]) {
      // a clean screen per run, so the screens checked below are this run's
      key(sh, 'C-l');
      await until('a cleared screen', () =>
        tmux('capture-pane', '-p', '-t', sh).trim() === 'tour$' ? true : undefined,
      );
      tmux('clear-history', '-t', sh);
      for (const line of lines) {
        const before = statuses().length;
        if (line.startsWith('guard tui')) {
          // "in another terminal": a second window, same installation, approves the held command
          const gh = statuses().at(-1)?.[1] ?? '';
          tmux('new-window', '-d', '-t', 't:1', '-c', work, `bash --norc --noprofile -i`);
          type('t:1', `export GUARD_HOME=${gh}; ${line}`);
          key('t:1', 'Enter');
          await waitScreen('t:1', /› HIGH [\s\S]*rm -rf \/srv\/guard-tour/);
          key('t:1', 'a');
          await waitScreen('t:1', /Passphrase of alice to approve/);
          type('t:1', PASS);
          key('t:1', 'Enter');
          await waitScreen('t:1', /APPROVED; the command may run/);
          key('t:1', 'q');
          // the held `guard exec` in the first window now ends
          const held = await until('the held exec', () => statuses()[before]);
          expect({ run, line: 'guard exec -- rm -rf /srv/guard-tour', status: Number(held[0]) }).toEqual({
            run,
            line: 'guard exec -- rm -rf /srv/guard-tour',
            status: 0,
          });
          tmux('kill-window', '-t', 't:1');
          continue;
        }
        type(sh, line);
        key(sh, 'Enter');
        if (line.startsWith('guard approver enroll')) {
          await waitScreen(sh, /New passphrase for approver alice \(at least 12 bytes\): $/m);
          type(sh, 'short');
          key(sh, 'Enter');
          await waitScreen(sh, /shorter than 12 bytes: try again.*\n.*\(at least 12 bytes\): $/m);
          for (const prompt of [/\(at least 12 bytes\): $/m, /Same passphrase again: $/m]) {
            await waitScreen(sh, prompt);
            type(sh, PASS);
            key(sh, 'Enter');
          }
        }
        if (line.startsWith('guard exec -- rm')) {
          await waitScreen(sh, /rq-[0-9a-f]{12}/);
          continue; // approved from the next line's terminal
        }
        const done = await until(line, () => statuses()[before]);
        expect({ run, line, status: Number(done[0]) }, screen(sh)).toEqual({
          run,
          line,
          status: expectedStatus(line),
        });
      }
      const gh = statuses().at(-1)?.[1] ?? '';
      expect(gh.startsWith('/tmp/')).toBe(true);
      expect(homes).not.toContain(gh);
      homes.push(gh);
      const s = screen(sh);
      expect(s).toMatch(/creating the key/);
      expect(s).toMatch(/enrolled approver alice \(bootstrap approver\)/);
      // the exported bundle verified against the pinned key (the last line's status is 0 too)
      expect(s).toMatch(/^intact: \d+ records of /m);
    }
    expect(homes).toHaveLength(2);
  });
});
