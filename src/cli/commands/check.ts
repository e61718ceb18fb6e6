import { userInfo } from 'node:os';
import type { CheckOutcome } from '../../daemon/messages.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { Decision, PolicyRequest } from '../../policy/index.js';
import type { Io } from '../io.js';
import { mapDaemonError } from './decide-common.js';
import type { CheckOptions } from '../specs/policy.js';

export const EFFECT_EXIT = { allow: ExitCode.OK, approve: ExitCode.PENDING, deny: ExitCode.DENIED } as const;

function currentUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env['USER'] ?? 'unknown';
  }
}

/** `guard check`: the decision for a command, without running anything. */
export async function checkCommand(io: Io, command: string[], opts: CheckOptions): Promise<number> {
  const shell = opts.shell;
  if (shell === undefined && command.length === 0)
    throw new UsageError('no command given', {
      hint: "usage: guard check -- <command> [args...]   or   guard check --shell 'cmd && cmd'",
    });
  if (shell !== undefined && command.length > 0)
    throw new UsageError('give either --shell <line> or a command after --, not both');
  const files = opts.policy;
  const agent = opts.agent ?? io.env['GUARD_AGENT'];
  const req: PolicyRequest = {
    argv: shell !== undefined ? ['sh', '-c', shell] : command,
    cwd: io.cwd,
    requester: { user: currentUser(io.env), ...(agent !== undefined ? { agent } : {}) },
    ...(shell !== undefined ? { shell } : {}),
  };
  // a running daemon answers at once with the policy it enforces; explicit --policy files are judged here
  const answer = files === undefined ? await fromDaemon(io, req, command, shell) : undefined;
  if (answer !== undefined) {
    if (opts.json === true) io.stdout.write(`${JSON.stringify({ ...answer, answeredBy: 'daemon' })}\n`);
    else io.stdout.write(renderOutcome(answer));
    return EFFECT_EXIT[answer.effect];
  }
  const { createEngine, loadPolicy, openExampleCache } = await import('../../policy/index.js');
  const engine = await createEngine();
  // a dry run: the example cache spares re-judging every rule example (`guard policy lint` always does)
  const loaded = await loadPolicy({
    env: io.env,
    cwd: io.cwd,
    engine,
    exampleCache: openExampleCache(io.env),
    ...(files !== undefined ? { files } : {}),
  });
  const d = engine.evaluate(req, loaded.policy);
  if (opts.json === true) io.stdout.write(`${JSON.stringify({ ...d, warnings: loaded.warnings })}\n`);
  else io.stdout.write(render(d, loaded.warnings));
  return EFFECT_EXIT[d.effect];
}

const VERDICT = {
  allow: 'allowed: it would run at once',
  approve: 'needs approval: it would wait for a human',
  deny: 'denied: it would be refused',
} as const;

/**
 * The running daemon's judgement (nothing recorded), or undefined when no daemon answers here (no
 * autostart: `guard check` then loads the policy itself). A daemon that answers with an error
 * (its policy does not load for this directory) is that error: never a decision made elsewhere.
 */
async function fromDaemon(
  io: Io,
  req: PolicyRequest,
  argv: string[],
  shell: string | undefined,
): Promise<CheckOutcome | undefined> {
  const { connectDaemon } = await import('../../daemon/connect.js');
  let client;
  try {
    client = await connectDaemon(io.env, { autostart: false });
  } catch {
    return undefined;
  }
  try {
    const { ask } = await import('../../daemon/replies.js');
    return await ask(client, {
      type: 'check',
      ...(shell !== undefined ? { shell } : { argv }),
      cwd: req.cwd,
      context: { requester: req.requester, cwd: req.cwd },
      record: false,
    });
  } catch (err) {
    throw mapDaemonError(err);
  } finally {
    client.close();
  }
}

/** The daemon's answer, in the same shape as a local decision (without the simple-command list). */
export function renderOutcome(o: CheckOutcome): string {
  const out: string[] = [`${o.effect.toUpperCase()} (risk ${o.risk}) — ${VERDICT[o.effect]}`];
  if (o.matches.length > 0) {
    out.push('', 'matching rules (strictest first):');
    for (const m of o.matches)
      out.push(
        `  ${m.effect.padEnd(7)} ${m.ruleId} [${m.risk}]: ${m.description}${m.impact !== undefined ? ` — ${m.impact}` : ''}`,
      );
  }
  if (o.unresolved.length > 0) {
    out.push('', 'unresolved (guard cannot read these statically):');
    for (const u of o.unresolved) out.push(`  ${u.kind}: ${u.detail}`);
  }
  if (o.approval !== undefined)
    out.push('', `approval: ${o.approval.quorum} approver(s); request waits ${o.approval.timeoutSeconds}s`);
  out.push('', 'reasons:', ...o.reasons.map((r) => `  ${r}`));
  out.push(`policy ${o.policyDigest.slice(0, 12)} (answered by the running daemon)`);
  return `${out.join('\n')}\n`;
}

export function render(d: Decision, warnings: string[]): string {
  const out: string[] = [`${d.effect.toUpperCase()} (risk ${d.risk}) — ${VERDICT[d.effect]}`];
  out.push('', 'simple commands:');
  if (d.commands.length === 0) out.push('  (none found)');
  d.commands.forEach((c, i) =>
    out.push(`  ${i + 1}. ${c.text}${c.via.length > 0 ? `   (via ${c.via.join(' → ')})` : ''}`),
  );
  if (d.matches.length > 0) {
    out.push('', 'matching rules (strictest first):');
    for (const m of d.matches)
      out.push(
        `  ${m.effect.padEnd(7)} ${m.ruleId} [${m.risk}] on command ${m.commandIndex + 1}: ${m.description}${m.impact !== undefined ? ` — ${m.impact}` : ''}${m.possible === true ? ' (possible match: an argument is computed at run time)' : ''}  (${m.source.file})`,
      );
  }
  if (d.unresolved.length > 0) {
    out.push('', 'unresolved (guard cannot read these statically):');
    for (const u of d.unresolved) out.push(`  ${u.kind}: ${u.detail}`);
  }
  if (d.approval !== undefined) {
    const a = d.approval;
    out.push(
      '',
      `approval: ${a.quorum} approver(s)${[a.groups, ...(a.alsoGroups ?? [])]
        .filter((g) => g.length > 0)
        .map((g) => ` from ${g.join(' or ')}`)
        .join(
          ' and',
        )}${a.fourEyes ? ', four-eyes' : ''}; request waits ${a.timeoutSeconds}s; grant valid ${a.grantTtlSeconds}s for ${a.grantUses} use(s)`,
    );
  }
  out.push('', 'reasons:', ...d.reasons.map((r) => `  ${r}`));
  for (const w of warnings) out.push(`warning: ${w}`);
  out.push(`policy ${d.policyDigest.slice(0, 12)}`);
  return `${out.join('\n')}\n`;
}
