/**
 * `guard init [--agent A] [--yes] [--print]`: set guard up for one agent in one command — the
 * user policy layer, the agent's hook configuration (merged, with a backup), the daemon, the
 * ledger's genesis key pinned to GUARD_HOME/ledger.pub, and a self-test that a denied command is
 * refused. Every step is idempotent: running init again changes nothing that is already right.
 */
import { UsageError } from '../../errors.js';
import { guardSelf } from '../../integrations/self.js';
import { configureAgent, INIT_AGENTS, type InitAgent } from '../../integrations/setup/agent-step.js';
import { approverCheck } from '../../integrations/setup/approver-step.js';
import { failed, printChecks, type Check } from '../../integrations/setup/check.js';
import { pinLedgerKey, startDaemon } from '../../integrations/setup/daemon-step.js';
import { selfTest } from '../../integrations/setup/selftest.js';
import { installStarterPolicy } from '../../integrations/setup/starter-policy.js';
import { ExitCode } from '../../errors.js';
import { writeLine, type Io } from '../io.js';
import type { InitOptions } from '../specs/init.js';

export async function initCommand(io: Io, opts: InitOptions): Promise<number> {
  const agent = opts.agent;
  if (agent !== undefined && !(INIT_AGENTS as readonly unknown[]).includes(agent))
    throw new UsageError(`unknown agent ${JSON.stringify(agent)}`, { hint: `use one of: ${INIT_AGENTS.join(', ')}` });
  const guard = guardSelf(io.env, process.argv[1], io.cwd);
  const checks: Check[] = [];
  const notes: string[] = [];
  checks.push(installStarterPolicy(io.env));
  if (agent !== undefined) {
    const r = await configureAgent(io, agent as InitAgent, {
      yes: opts.yes === true,
      print: opts.print === true,
      guard,
      node: process.execPath,
    });
    checks.push(...r.checks);
    notes.push(...r.notes);
  } else {
    notes.push(
      `No agent configured: run \`guard init --agent <${INIT_AGENTS.join('|')}>\` (add --print to only see the entry).`,
    );
  }
  const daemon = await startDaemon(io.env);
  checks.push(daemon.check);
  let key: string | undefined;
  if (daemon.status !== undefined) {
    const pinned = await pinLedgerKey(io);
    checks.push(pinned.check);
    key = pinned.key;
    checks.push(await selfTest([process.execPath, ...guard], io.env));
  }
  const approvers = approverCheck(io.env, daemon.status);
  checks.push(approvers);
  printChecks(io.stdout, checks);
  if (key !== undefined) {
    writeLine(
      io.stdout,
      `\nLedger genesis public key (pin it; \`guard ledger verify --pubkey\` checks exports against it):\n  ${key}`,
    );
  }
  if (notes.length > 0) writeLine(io.stdout, `\nNext:\n${notes.map((n) => `  - ${n}`).join('\n')}`);
  if (approvers.status !== 'ok') writeLine(io.stderr, `guard: ${approvers.detail}`);
  const bad = failed(checks);
  if (bad > 0) {
    writeLine(io.stderr, `guard: init finished with ${bad} failed step(s); see the fix lines above`);
    return ExitCode.INTERNAL;
  }
  return 0;
}
