/**
 * Agent integrations: how long `guard hook claude-code` takes to answer (the agent waits for it
 * before every shell command) and what `guard shell -c` adds over `/bin/sh -c`. Baselines measured
 * in the same run: `node -e 0` and `guard --version` (the CLI's own start-up).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, interleaved, median, quantile } from './lib.js';
import type { Suite } from './suites.js';

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return t;
}

const claude = (command: string, cwd: string): string =>
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
    const bin = join(process.cwd(), 'bin', 'guard.js');
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
      line('hook claude-code, denied', 'hookDeny');
      line('/bin/sh -c true', 'sh');
      line('guard shell -c true', 'guardShell');
      process.stdout.write(`ratio hook(record)/guard --version: ${fmt(m('hookRecord') / m('version'))}\n`);
      process.stdout.write(`ratio hook(pass)/guard --version:   ${fmt(m('hookPass') / m('version'))}\n`);
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
