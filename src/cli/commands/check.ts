import { userInfo } from 'node:os';
import { ExitCode, UsageError } from '../../errors.js';
import { createEngine, loadPolicy, openExampleCache, type Decision, type PolicyRequest } from '../../policy/index.js';
import type { Io } from '../io.js';

export const EFFECT_EXIT = { allow: ExitCode.OK, approve: ExitCode.PENDING, deny: ExitCode.DENIED } as const;

function currentUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env['USER'] ?? 'unknown';
  }
}

/** `guard check`: the decision for a command, without running anything. */
export async function checkCommand(io: Io, command: string[], opts: Record<string, unknown>): Promise<number> {
  const shell = opts['shell'] as string | undefined;
  if (shell === undefined && command.length === 0)
    throw new UsageError('no command given', {
      hint: "usage: guard check -- <command> [args...]   or   guard check --shell 'cmd && cmd'",
    });
  if (shell !== undefined && command.length > 0)
    throw new UsageError('give either --shell <line> or a command after --, not both');
  const engine = await createEngine();
  const files = opts['policy'] as string[] | undefined;
  // a dry run: the example cache spares re-judging every rule example (`guard policy lint` always does)
  const loaded = await loadPolicy({
    env: io.env,
    cwd: io.cwd,
    engine,
    exampleCache: openExampleCache(io.env),
    ...(files !== undefined ? { files } : {}),
  });
  const agent = (opts['agent'] as string | undefined) ?? io.env['GUARD_AGENT'];
  const req: PolicyRequest = {
    argv: shell !== undefined ? ['sh', '-c', shell] : command,
    cwd: io.cwd,
    requester: { user: currentUser(io.env), ...(agent !== undefined ? { agent } : {}) },
    ...(shell !== undefined ? { shell } : {}),
  };
  const d = engine.evaluate(req, loaded.policy);
  if (opts['json'] === true) io.stdout.write(`${JSON.stringify({ ...d, warnings: loaded.warnings })}\n`);
  else io.stdout.write(render(d, loaded.warnings));
  return EFFECT_EXIT[d.effect];
}

const VERDICT = {
  allow: 'allowed: it would run at once',
  approve: 'needs approval: it would wait for a human',
  deny: 'denied: it would be refused',
} as const;

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
      `approval: ${a.quorum} approver(s)${a.groups.length > 0 ? ` from ${a.groups.join(', ')}` : ''}${a.fourEyes ? ', four-eyes' : ''}; request waits ${a.timeoutSeconds}s; grant valid ${a.grantTtlSeconds}s for ${a.grantUses} use(s)`,
    );
  }
  out.push('', 'reasons:', ...d.reasons.map((r) => `  ${r}`));
  for (const w of warnings) out.push(`warning: ${w}`);
  out.push(`policy ${d.policyDigest.slice(0, 12)}`);
  return `${out.join('\n')}\n`;
}
