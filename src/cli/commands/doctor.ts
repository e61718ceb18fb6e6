/**
 * `guard doctor [--json]`: check the installation end to end — daemon, policy, ledger, key store,
 * channels, and the hook of every agent found — each with a fix. Exit 70 when a check fails.
 */
import { ExitCode } from '../../errors.js';
import { channelChecks, daemonCheck, ledgerChecks, policyChecks } from '../../integrations/doctor/checks.js';
import { enforcedChecks } from '../../integrations/doctor/enforced.js';
import { hookChecks } from '../../integrations/doctor/hooks.js';
import { execClient, guardSelf } from '../../integrations/self.js';
import { approverCheck } from '../../integrations/setup/approver-step.js';
import { failed, printChecks, type Check } from '../../integrations/setup/check.js';
import { writeLine, type Io } from '../io.js';
import type { DoctorOptions } from '../specs/doctor.js';

/**
 * Which `guard exec` client runs agents' commands: the native one when it was built (bin/guard then
 * also sends `guard hook` and `guard requests` to it, decisions 0036 and 0042).
 */
function execClientCheck(guard: string[]): Check {
  const client = execClient(guard);
  if (client !== guard)
    return { name: 'exec client', status: 'ok', detail: `native (${client.join(' ')}): exec, hook and requests` };
  return {
    name: 'exec client',
    status: 'ok',
    detail: `node (${guard.join(' ')}): no native client next to it`,
    hint: 'build it with `npm run build` where a Rust toolchain (cargo) is installed, or install the prebuilt package for this platform',
  };
}

export async function doctorCommand(io: Io, opts: DoctorOptions): Promise<number> {
  const daemon = await daemonCheck(io.env);
  const checks: Check[] = [daemon.check];
  checks.push(...(await policyChecks(io, daemon.status)));
  checks.push(...(await ledgerChecks(io)));
  checks.push(...channelChecks(daemon.status));
  checks.push(...enforcedChecks(io.env, daemon.status));
  const approvers = approverCheck(io.env, daemon.status);
  checks.push(approvers);
  let guard: string[];
  try {
    guard = guardSelf(io.env, process.argv[1], io.cwd);
  } catch {
    guard = ['guard'];
  }
  checks.push(execClientCheck(guard));
  const hooks = hookChecks(io.env, guard, io.cwd);
  checks.push(
    ...(hooks.length > 0
      ? hooks
      : [
          {
            name: 'hooks',
            status: 'warn' as const,
            detail: 'no agent configuration found (Claude Code, Gemini CLI, Codex, Cursor)',
            hint: 'guard init --agent <claude-code|gemini|codex|cursor|shell>',
          },
        ]),
  );
  const bad = failed(checks);
  if (opts.json === true) writeLine(io.stdout, JSON.stringify({ ok: bad === 0, checks }));
  else {
    printChecks(io.stdout, checks);
    writeLine(io.stdout, bad === 0 ? '\nguard doctor: no failures' : `\nguard doctor: ${bad} check(s) failed`);
  }
  if (approvers.status !== 'ok') writeLine(io.stderr, `guard: ${approvers.detail}`);
  return bad === 0 ? 0 : ExitCode.INTERNAL;
}
