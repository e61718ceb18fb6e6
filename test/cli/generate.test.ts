/**
 * `guard completion bash|zsh|fish` and `guard man`, generated from the command specs: the bash
 * script is sourced into a real bash and asked for completions; the man page is rendered by groff
 * with every warning on.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { HOOK_AGENTS } from '../../src/cli/specs/hook.js';
import { INIT_AGENT_NAMES } from '../../src/cli/specs/init.js';
import { adapterFor } from '../../src/integrations/adapters.js';
import { INIT_AGENTS } from '../../src/integrations/setup/agent-step.js';
import { EXAMPLES } from '../../src/cli/examples.js';
import { buildProgram } from '../../src/cli/program.js';
import { commands } from '../../src/cli/registry.js';
import { guardInProcess } from '../helpers/inprocess.js';

const dir = mkdtempSync(join(tmpdir(), 'fh-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const HAS_GROFF = spawnSync('groff', ['-v'], { stdio: 'ignore' }).status === 0;

async function generated(...argv: string[]): Promise<string> {
  const r = await guardInProcess(argv);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

describe('guard completion bash, in a real bash', () => {
  /** What bash completes for the words typed so far (the last one is being completed). */
  async function complete(...typed: string[]): Promise<string[]> {
    return completeIn(dir, ...typed);
  }
  async function completeIn(cwd: string, ...typed: string[]): Promise<string[]> {
    const script = join(dir, 'guard.bash');
    writeFileSync(script, await generated('completion', 'bash'));
    const words = ['guard', ...typed].map((w) => `'${w}'`).join(' ');
    const r = spawnSync(
      'bash',
      [
        '--norc',
        '-c',
        `source ${script}; COMP_WORDS=(${words}); COMP_CWORD=${typed.length}; _guard; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8', cwd },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  test('top-level commands, sub-commands and options of the command typed so far', async () => {
    expect(await complete('led')).toEqual(['ledger']);
    expect(await complete('ledger', 'ver')).toEqual(['verify']);
    expect(await complete('ledger', 'verify', '--pub')).toEqual(['--pubkey']);
    expect(await complete('approver', 'enroll', '--name', 'bob', '--gr')).toEqual(['--group']);
    expect(await complete('daemon', '')).toEqual(['start', 'status', 'stop']);
  });

  test('values of a fixed set: the shell, the hook agent, init --agent, hook --allowed', async () => {
    expect(await complete('completion', '')).toEqual(['bash', 'fish', 'zsh']);
    expect(await complete('completion', 'z')).toEqual(['zsh']);
    expect(await complete('hook', 'c')).toEqual(['claude-code', 'codex', 'cursor']);
    expect(await complete('hook', 'gemini', 'c')).toEqual([]); // one agent only
    expect(await complete('init', '--agent', '')).toEqual([...INIT_AGENTS].sort());
    expect(await complete('init', '--agent', 's')).toEqual(['shell']);
    expect(await complete('hook', 'codex', '--allowed', '')).toEqual(['pass', 'record']);
    // after the value, options again
    expect(await complete('init', '--agent', 'shell', '--p')).toEqual(['--print']);
  });

  test('file and directory names for options that take a file, a path or a directory', async () => {
    const cwd = mkdtempSync(join(dir, 'files-'));
    writeFileSync(join(cwd, 'ledger.pub'), '');
    writeFileSync(join(cwd, 'ledger.db'), '');
    mkdirSync(join(cwd, 'led-out'));
    expect(await completeIn(cwd, 'ledger', 'verify', '--pubkey', 'led')).toEqual([
      'led-out',
      'ledger.db',
      'ledger.pub',
    ]);
    expect(await completeIn(cwd, 'ledger', 'verify', '--db', 'ledger.d')).toEqual(['ledger.db']); // <path>
    expect(await completeIn(cwd, 'evidence', 'pack', '--out', 'l')).toEqual(['led-out']); // <dir>
    // a free-form value (a name) offers nothing of guard's own
    expect(await completeIn(cwd, 'approver', 'enroll', '--name', '')).toEqual([]);
  });

  test('the agent lists completion offers are the ones the commands accept', () => {
    expect([...INIT_AGENT_NAMES]).toEqual([...INIT_AGENTS]);
    for (const a of HOOK_AGENTS) expect(adapterFor(a)?.name).toBeDefined();
    expect(['claude-code', 'gemini', 'codex', 'cursor', 'shell'].filter((a) => adapterFor(a))).toEqual([
      ...HOOK_AGENTS,
    ]);
  });

  test("nothing after `--` (the wrapped command is not guard's) or after an unknown word", async () => {
    expect(await complete('exec', '--', 'rm', '-')).toEqual([]);
    expect(await complete('nosuch', '')).toEqual([]);
  });

  test('every command in the registry is offered', async () => {
    const all = await complete('');
    for (const spec of commands) expect(all).toContain(spec.name);
  });
});

describe('guard completion zsh and fish', () => {
  test('zsh: a #compdef script with each command path as a case', async () => {
    const z = await generated('completion', 'zsh');
    expect(z.startsWith('#compdef guard\n')).toBe(true);
    expect(z).toContain(`'ledger verify') cands=(`);
    expect(z).toContain("'--pubkey'");
    expect(z).toContain(`'init') cands=(`);
    expect(z).toContain(`'init|--agent') compadd -- 'claude-code' 'gemini' 'codex' 'cursor' 'shell' ;;`);
    expect(z).toContain(`'ledger verify|--pubkey') _files ;;`);
    expect(z).toContain(`'evidence pack|--out') _files -/ ;;`);
    expect(z).toContain(`'completion') cands=() vals=() args=('bash' 'zsh' 'fish') ;;`);
  });

  test('fish: sub-commands only under their parent, options under their command', async () => {
    const f = await generated('completion', 'fish');
    expect(f).toMatch(
      /^complete -c guard -n '__fish_seen_subcommand_from ledger; and not __fish_seen_subcommand_from .*' -a verify /m,
    );
    expect(f).toMatch(/^complete -c guard -n '__fish_seen_subcommand_from verify' -l pubkey -r -F /m);
    expect(f).toMatch(
      /^complete -c guard -n '__fish_seen_subcommand_from init' -l agent -x -a 'claude-code gemini codex cursor shell' /m,
    );
    expect(f).toMatch(/^complete -c guard -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'$/m);
  });

  test('an unknown shell is a usage error that names the choices', async () => {
    const r = await guardInProcess(['completion', 'tcsh']);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/bash, zsh, fish/);
  });
});

describe('guard man', () => {
  test('names every command and its options', async () => {
    const page = await generated('man');
    expect(page.startsWith('.TH GUARD 1 ')).toBe(true);
    for (const spec of commands) expect(page).toContain(`.SS "guard ${spec.name}`);
    expect(page).toContain('.SS "guard ledger verify"');
    expect(page).toContain('.B \\-\\-pubkey <file>');
  });

  test.skipIf(!HAS_GROFF)('renders with groff without a single warning', async () => {
    const page = join(dir, 'guard.1');
    writeFileSync(page, await generated('man'));
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', page], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/guard ledger verify/);
  });
});

describe('--help examples for the main commands', () => {
  test('each listed command shows its examples in --help', async () => {
    for (const path of Object.keys(EXAMPLES)) {
      const r = await guardInProcess([...path.split(' '), '--help']);
      expect({ path, code: r.code }).toEqual({ path, code: 0 });
      expect(r.stdout).toContain('Examples:');
      for (const line of EXAMPLES[path] ?? []) expect(r.stdout).toContain(line);
    }
  });

  test('every example names its own command and only options that command declares', async () => {
    const program = buildProgram(
      { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: {}, cwd: '/', rawArgv: undefined },
      { code: 0 },
      true,
    );
    for (const [path, lines] of Object.entries(EXAMPLES)) {
      let cmd = program;
      for (const name of path.split(' ')) cmd = cmd.commands.find((c) => c.name() === name) ?? cmd;
      expect(cmd.name()).toBe(path.split(' ').at(-1));
      const known = new Set(cmd.options.flatMap((o) => [o.long, o.short]));
      for (const line of lines) {
        const words = line.replace(/#.*$/, '').trim().split(/\s+/);
        expect(words.slice(0, 1 + path.split(' ').length).join(' ')).toBe(`guard ${path}`);
        for (const w of words.filter((x) => x.startsWith('-')))
          expect({ line, w, known: known.has(w) }).toEqual({ line, w, known: true });
      }
    }
  });
});
