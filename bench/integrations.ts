/**
 * Agent integrations: how long `guard hook claude-code` takes to answer with a warm daemon (the
 * agent waits for it before every shell command; the hook asks the daemon's `check`) and what
 * `guard shell -c` adds over `/bin/sh -c`. Baselines measured in the same run: `node -e 0`,
 * `guard --version` (the CLI's own start-up) and `guard check --shell` (an in-process policy load
 * and judgement — what the hook paid on every call before it asked the daemon). Target: hook
 * median well under 300 ms.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, interleaved, median, quantile } from './lib.js';
import type { Suite } from './suites.js';

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string, ok = [0]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const t = performance.now() - t0;
  if (!ok.includes(r.status ?? -1))
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  // a hook that blocks (exit 2) or answers nothing where an answer is expected is a failed run, not a figure
  if (input !== undefined && args.includes('hook') && !args.includes('pass') && r.stdout.length === 0)
    throw new Error(`hook gave no answer: ${r.stderr.toString()}`);
  return t;
}

export const claude = (command: string, cwd: string): string =>
  JSON.stringify({
    session_id: 'b',
    transcript_path: '/t',
    cwd,
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command },
  });

export const integrationsSuite: Suite = {
  name: 'integrations',
  async run() {
    const home = mkdtempSync(join(tmpdir(), 'guard-bench-int-'));
    // BENCH_GUARD_BIN: a private copy of bin/ + dist/ (inside this checkout, for node_modules), so
    // that a rebuild of dist/ by someone else during the run does not break or skew it
    const bin = process.env['BENCH_GUARD_BIN'] ?? join(process.cwd(), 'bin', 'guard.js');
    const env = { ...process.env, GUARD_HOME: home, GUARD_SELF: bin };
    const node = process.execPath;
    const runs = Number(process.env['BENCH_RUNS'] ?? 15);
    try {
      timed(node, [bin, 'daemon', 'start'], env);
      const allow = claude('git status && ls -la | head', home);
      const deny = claude('rm -rf /', home);
      timed(node, [bin, 'hook', 'claude-code'], env, allow); // warm caches
      const r = interleaved(runs, {
        node: () => timed(node, ['-e', '0'], env),
        version: () => timed(node, [bin, '--version'], env),
        hookPass: () => timed(node, [bin, 'hook', 'claude-code', '--allowed', 'pass'], env, allow),
        hookRecord: () => timed(node, [bin, 'hook', 'claude-code'], env, allow),
        hookDeny: () => timed(node, [bin, 'hook', 'claude-code'], env, deny),
        localCheck: () => timed(node, [bin, 'check', '--shell', 'git status && ls -la | head'], env, undefined, [0]),
        sh: () => timed('/bin/sh', ['-c', 'true'], env),
        guardShell: () => timed(node, [bin, 'shell', '-c', 'true'], env),
      });
      const m = (k: string): number => median(r[k]!);
      const p90 = (k: string): number => quantile(r[k]!, 0.9);
      const line = (label: string, k: string): void => {
        process.stdout.write(
          `${label.padEnd(44)} median ${fmt(m(k)).padStart(8)} ms   p90 ${fmt(p90(k)).padStart(8)} ms\n`,
        );
      };
      process.stdout.write(`runs per case: ${runs} (interleaved)\n`);
      line('node -e 0', 'node');
      line('guard --version', 'version');
      line('hook claude-code, allowed, --allowed pass', 'hookPass');
      line('hook claude-code, allowed, record (rewrite)', 'hookRecord');
      line('hook claude-code, denied (recorded)', 'hookDeny');
      line('guard check --shell (in-process policy)', 'localCheck');
      line('/bin/sh -c true', 'sh');
      line('guard shell -c true', 'guardShell');
      process.stdout.write(`ratio hook(record)/guard --version: ${fmt(m('hookRecord') / m('version'))}\n`);
      process.stdout.write(`ratio hook(pass)/guard --version:   ${fmt(m('hookPass') / m('version'))}\n`);
      process.stdout.write(`ratio hook(deny)/guard --version:   ${fmt(m('hookDeny') / m('version'))}\n`);
      process.stdout.write(`ratio guard check/hook(pass):       ${fmt(m('localCheck') / m('hookPass'))}\n`);
      const worst = Math.max(m('hookPass'), m('hookRecord'), m('hookDeny'));
      process.stdout.write(
        `hook median, worst case: ${fmt(worst)} ms (target < 300 ms: ${worst < 300 ? 'met' : 'NOT met'})\n`,
      );
      process.stdout.write(`ratio guard shell/sh:               ${fmt(m('guardShell') / m('sh'))}\n`);
      process.stdout.write(
        `hook p90 as a share of its 20 s deadline: ${fmt((100 * p90('hookRecord')) / 20_000, 1)} %\n`,
      );
    } finally {
      spawnSync(node, [bin, 'daemon', 'stop'], { env, stdio: 'ignore' });
      rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  },
};
