import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guardInProcess } from '../helpers/inprocess.js';
import { runCli, tempHome } from '../helpers/cli.js';
import { ExitCode } from '../../src/errors.js';

describe('guard CLI in-process', () => {
  it('prints help with the exit-code table and exits 0', async () => {
    const r = await guardInProcess(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: guard');
    expect(r.stdout).toContain('exec');
    expect(r.stdout).toMatch(/77\s+denied by policy/);
  });

  it('prints the version', async () => {
    const r = await guardInProcess(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('maps an unknown command to the usage exit code with a suggestion', async () => {
    const r = await guardInProcess(['exex', '--', 'true']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(/unknown command 'exex'/);
    expect(r.stderr).toMatch(/Did you mean exec\?/);
  });

  it('maps an unknown flag to the usage exit code', async () => {
    const r = await guardInProcess(['--frob']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(/unknown option '--frob'/);
  });

  it('refuses exec without a command', async () => {
    const r = await guardInProcess(['exec']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(/missing required argument/);
  });

  it('reports usage errors as JSON with --json-errors', async () => {
    const r = await guardInProcess(['exec', '--json-errors', '--bogus', '--', 'true']);
    expect(r.code).toBe(ExitCode.USAGE);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1); // nothing but the JSON object
    const parsed = JSON.parse(lines[0]!) as { guard: string; exit_code: number };
    expect(parsed.guard).toBe('usage');
    expect(parsed.exit_code).toBe(ExitCode.USAGE);
  });

  it('lists exit codes', async () => {
    const r = await guardInProcess(['exit-codes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/127\s+the program was not found/);
    // every code of the one table is listed, `ledger verify`'s 1 and 2 among them
    for (const [name, code] of Object.entries(ExitCode)) {
      if (name === 'OK') continue;
      const label = name === 'SIGNAL_BASE' ? `${code}\\+N` : String(code);
      expect(r.stdout, name).toMatch(new RegExp(`^  ${label}\\s+\\S`, 'm'));
    }
    expect(r.stdout).toMatch(/^ {2}1 +`guard ledger verify`: integrity failure/m);
  });
});

describe('guard CLI as the built binary', () => {
  it('runs --version and --help', async () => {
    const h = tempHome();
    try {
      const v = await runCli(['--version'], { env: h.env });
      expect(v.status).toBe(0);
      expect(v.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
      const help = await runCli(['help', 'exec'], { env: h.env });
      expect(help.status).toBe(0);
      expect(help.stdout.toString()).toContain('guard exec -- terraform plan');
    } finally {
      h.cleanup();
    }
  });

  it('the shim refuses to run without a build with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guard-shim-'));
    try {
      cpSync(new URL('../../bin/guard.js', import.meta.url), join(dir, 'bin', 'guard.js'));
      const r = spawnSync(process.execPath, [join(dir, 'bin', 'guard.js'), '--version']);
      expect(r.status).toBe(70);
      expect(r.stderr.toString()).toMatch(/npm run build/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the shim refuses an unsupported Node version with a clear message', async () => {
    const preload = fileURLToPath(new URL('../fixtures/old-node.cjs', import.meta.url));
    const bin = fileURLToPath(new URL('../../bin/guard.js', import.meta.url));
    const r = spawnSync(process.execPath, ['--require', preload, bin, '--version']);
    expect(r.status).toBe(70);
    expect(r.stderr.toString()).toMatch(/Node.js 18.19.0 is not supported; guard needs Node.js 20.11 or newer/);
  });
});
