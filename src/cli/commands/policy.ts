import { stringify } from 'yaml';
import { ExitCode, UsageError } from '../../errors.js';
import { createEngine, loadPolicy, PolicyLoadError, type CompiledRule, type LoadedPolicy } from '../../policy/index.js';
import type { Io } from '../io.js';
import type { PolicyExplainOptions, PolicyLintOptions, PolicyShowOptions } from '../specs/policy.js';

async function load(io: Io, files: string[] | undefined): Promise<LoadedPolicy> {
  const engine = await createEngine();
  return loadPolicy({
    env: io.env,
    cwd: io.cwd,
    engine,
    ...(files !== undefined && files.length > 0 ? { files } : {}),
  });
}

/** `guard policy lint [PATH...]`: schema, rule examples and layering warnings. */
export async function policyLint(io: Io, paths: string[], opts: PolicyLintOptions): Promise<number> {
  const json = opts.json === true;
  try {
    const loaded = await load(io, paths);
    const n = loaded.policy.rules.length;
    if (json)
      io.stdout.write(
        `${JSON.stringify({ ok: true, rules: n, files: loaded.files, warnings: loaded.warnings, digest: loaded.digest })}\n`,
      );
    else {
      for (const w of loaded.warnings) io.stdout.write(`warning: ${w}\n`);
      io.stdout.write(`ok: ${n} rules from ${loaded.files.length} files, every example behaves as written\n`);
    }
    return ExitCode.OK;
  } catch (err) {
    if (json && err instanceof PolicyLoadError) {
      io.stdout.write(`${JSON.stringify({ ok: false, problems: err.problems })}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

function ruleView(r: CompiledRule): Record<string, unknown> {
  return {
    id: r.id,
    effect: r.effect,
    risk: r.risk,
    description: r.description,
    source: `${r.source.file}:${r.source.line}`,
    layer: r.source.layer,
    match: r.matchDoc,
    ...(r.approval !== undefined ? { approval: r.approval } : {}),
    ...(r.impact !== undefined ? { impact: r.impact } : {}),
    controls: r.controls,
    examples: { match: r.examples.match.map((e) => e.text), no_match: r.examples.noMatch.map((e) => e.text) },
  };
}

/** `guard policy explain <rule-id>`. */
export async function policyExplain(io: Io, id: string, opts: PolicyExplainOptions): Promise<number> {
  const loaded = await load(io, opts.policy);
  const rule = loaded.policy.rules.find((r) => r.id === id);
  if (rule === undefined) {
    const near = loaded.policy.rules
      .map((r) => r.id)
      .filter((r) => r.includes(id.split('.').pop() ?? id) || id.includes(r.split('.')[0]!));
    throw new UsageError(`no rule with id ${id} in the effective policy`, {
      hint:
        near.length > 0
          ? `did you mean: ${near.slice(0, 5).join(', ')}? (guard policy show lists every rule)`
          : 'guard policy show lists every rule',
    });
  }
  const view = ruleView(rule);
  if (opts.json === true) io.stdout.write(`${JSON.stringify(view)}\n`);
  else io.stdout.write(stringify(view, { lineWidth: 0 }));
  return ExitCode.OK;
}

/** `guard policy show`: the effective merged policy with the source of every rule. */
export async function policyShow(io: Io, opts: PolicyShowOptions): Promise<number> {
  const loaded = await load(io, opts.policy);
  const p = loaded.policy;
  if (opts.json === true) {
    io.stdout.write(
      `${JSON.stringify({ digest: p.digest, default: p.default, on_unresolved: p.onUnresolved, settings_source: p.settingsSource, files: loaded.files, warnings: loaded.warnings, disabled: p.disabled, rules: p.rules.map(ruleView) })}\n`,
    );
    return ExitCode.OK;
  }
  const out = [
    `policy ${p.digest.slice(0, 12)} (${p.rules.length} rules, ${loaded.files.length} files)`,
    `default: ${p.default}   (set in ${p.settingsSource.default})`,
    `on_unresolved: ${p.onUnresolved}   (set in ${p.settingsSource.onUnresolved})`,
    '',
  ];
  for (const r of p.rules)
    out.push(
      `${r.effect.padEnd(7)} ${r.risk.padEnd(8)} ${r.id.padEnd(34)} ${r.programs.join(',').slice(0, 40).padEnd(40)} ${r.source.layer}:${r.source.file}:${r.source.line}`,
    );
  for (const d of p.disabled) out.push(`disabled ${d.id} (by ${d.file})`);
  for (const w of loaded.warnings) out.push(`warning: ${w}`);
  io.stdout.write(`${out.join('\n')}\n`);
  return ExitCode.OK;
}
