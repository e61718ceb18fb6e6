/**
 * Applying exactly the previewed Terraform plan (decision 1086). The preview of a held
 * `terraform apply|destroy` (no plan file) writes its plan to GUARD_HOME/plans/<request>.tfplan and
 * ends its text with one line naming the command guard will run and the plan's sha256. That line
 * is part of the preview the approver is shown and signs. When the approval is used, the client is
 * told to run `terraform apply <that file>` instead of the agent's own command, and only if the
 * file still has the digest the line names; a changed or missing plan refuses the run.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Decision } from '../policy/types.js';
import { isOpen, type RequestPreview, type StoredRequest } from '../request/state.js';
import { planPreview } from './detect.js';

export const plansDir = (home: string): string => join(home, 'plans');
export const savedPlanPath = (home: string, requestId: string): string => join(plansDir(home), `${requestId}.tfplan`);

const LINE_START = 'on approval guard runs `';
const LINE = /^on approval guard runs `([^`\n]*)`: exactly this saved plan \(sha256 ([0-9a-f]{64})\)/;

/** Single quotes for a POSIX shell (the text inside a `sh -c` script). */
const shq = (s: string): string => (/^[A-Za-z0-9_./=:@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * What runs instead of the agent's command, as terraform's own words (shown to the approver) and
 * as the argv the client runs (the same program: argv[0] is kept, so the client still runs the
 * program it hashed). Undefined when the command gives no exact rewrite: it then runs as written.
 */
export function savedPlanArgv(
  argv: readonly string[],
  d: Decision,
  path: string,
): { words: string[]; argv: string[] } | undefined {
  const planned = planPreview(d);
  if (planned === undefined || !('plan' in planned)) return undefined;
  const p = planned.plan;
  if (p.kind !== 'terraform-plan' || p.planFile !== undefined) return undefined;
  const tf = [...(p.chdir === undefined ? [] : [`-chdir=${p.chdir}`]), 'apply', '-input=false', path];
  const [first, second] = d.commands;
  const argv0 = argv[0];
  if (argv0 === undefined || first === undefined) return undefined;
  // run directly: the same program with terraform's words
  if (d.commands.length === 1 && argv.length === first.args.length + 1)
    return { words: [first.program ?? argv0, ...tf], argv: [argv0, ...tf] };
  // the hook rewrite's form, `bash -c 'terraform apply'`: the same shell with a script of those words
  if (d.commands.length === 2 && argv.length === 3 && argv[1] === '-c' && second?.programPath !== undefined) {
    const words = [second.programPath, ...tf];
    return { words, argv: [argv0, '-c', words.map(shq).join(' ')] };
  }
  return undefined;
}

/** The preview's closing line: what guard runs on approval, and the digest of the plan it applies. */
export function savedPlanLine(words: readonly string[], sha256: string): string {
  return `${LINE_START}${words.map(shq).join(' ')}\`: exactly this saved plan (sha256 ${sha256}), not a new plan; the run is refused if the file changes or goes`;
}

/**
 * A terraform preview's text with the plan's digest (undefined: terraform wrote none) and, when the
 * plan is kept to be applied (`words`: what runs on approval), the closing line that names both.
 */
export function savedPlanText(text: string, sha256: string | undefined, words?: readonly string[]): string {
  const shown = `${text}\n\nsaved plan sha256: ${sha256 ?? 'none written'}`;
  return sha256 === undefined || words === undefined ? shown : `${shown}\n${savedPlanLine(words, sha256)}`;
}

/**
 * The digest the approver was shown for a saved plan: undefined when the preview saved none, null
 * when its closing line names one that cannot be read back (then nothing runs).
 */
export function shownPlanDigest(p: RequestPreview | undefined): string | null | undefined {
  // only guard writes the last line of a successful terraform preview (a failed one ends in tool output)
  if (p === undefined || p.kind !== 'terraform-plan' || p.status !== 'ok') return undefined;
  const last = p.text.slice(p.text.lastIndexOf('\n') + 1);
  if (!last.startsWith(LINE_START)) return undefined;
  return LINE.exec(last)?.[2] ?? null;
}

/** Nothing to apply; or the argv that applies the plan, its file and approved digest; or why not. */
export type SavedPlanRun =
  { argv?: undefined } | { argv: string[]; path: string; sha256: string } | { refused: string };

const refusedRun = (why: string): { refused: string } => ({
  refused: `approved, but ${why}: exactly the previewed plan cannot be applied; nothing was run`,
});

type Held = { bytes: Buffer } | { refused: string };

/** The saved plan's bytes when they still have the approved digest, else why the run is refused. */
export function heldPlan(path: string, approved: string): Held {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return refusedRun(`the saved plan ${path} is gone`);
  }
  return heldBytes(path, bytes, approved);
}

async function heldPlanAsync(path: string, approved: string): Promise<Held> {
  const bytes = await readFile(path).catch(() => undefined);
  return bytes === undefined ? refusedRun(`the saved plan ${path} is gone`) : heldBytes(path, bytes, approved);
}

function heldBytes(path: string, bytes: Buffer, approved: string): Held {
  const now = createHash('sha256').update(bytes).digest('hex');
  if (now !== approved) return refusedRun(`the saved plan ${path} changed (sha256 ${now}, approved ${approved})`);
  return { bytes };
}

/**
 * When request r's approval is used by `argv` (its own command): the argv that applies its saved
 * plan, nothing when its preview saved none, or why the run is refused.
 */
export async function savedPlanRun(
  home: string,
  r: StoredRequest,
  argv: readonly string[],
  d: Decision,
): Promise<SavedPlanRun> {
  const shown = shownPlanDigest(r.view.preview);
  if (shown === undefined) return {};
  const path = savedPlanPath(home, r.id);
  if (shown === null) return refusedRun("the preview's saved-plan line cannot be read");
  const held = await heldPlanAsync(path, shown);
  if ('refused' in held) return held;
  const run = savedPlanArgv(argv, d, path);
  if (run === undefined) return refusedRun('the command no longer names a plan to save');
  return { argv: run.argv, path, sha256: shown };
}

/** A request whose saved plan may still be applied: open, or approved with a usable grant. */
export function mayApplyLater(r: StoredRequest | undefined, now: Date): boolean {
  if (r === undefined) return false;
  if (r.state === 'pending' || r.state === 'needs_info') return true;
  const g = r.grant;
  return (
    r.state === 'approved' && g !== undefined && !g.revoked && g.usesLeft > 0 && Date.parse(g.expiresAt) > now.getTime()
  );
}

/** Remove the saved plans no request can apply any more (a plan can hold secrets in clear). */
export async function prunePlans(home: string, live: (requestId: string) => boolean): Promise<void> {
  const names = await readdir(plansDir(home)).catch(() => [] as string[]);
  for (const n of names) {
    const id = /^(rq-[0-9a-f]{12})\.tfplan$/.exec(n)?.[1];
    if (id !== undefined && !live(id)) await rm(join(plansDir(home), n), { force: true });
  }
}

/**
 * Remove a request's saved plan when it closes without approval or its grant is revoked: at once,
 * before the change is answered (one unlink).
 */
export function dropUnapproved(home: string, r: StoredRequest): void {
  if (r.view.preview?.kind !== 'terraform-plan' || isOpen(r)) return;
  if (r.state === 'approved' && r.grant?.revoked !== true) return;
  rmSync(savedPlanPath(home, r.id), { force: true });
}

/**
 * Runs told to apply a saved plan and not yet ended (exec id → the request whose plan it applies):
 * a plan whose grant is used up is removed when its last run ends, not while a client may still
 * be about to open it.
 */
export class PlanRuns {
  private readonly runs = new Map<string, string>();

  start(execId: string, requestId: string): void {
    this.runs.set(execId, requestId);
  }

  /** The run ended: the request whose plan it applied, if it applied one. */
  end(execId: string): string | undefined {
    const id = this.runs.get(execId);
    this.runs.delete(execId);
    return id;
  }

  running(requestId: string): boolean {
    for (const id of this.runs.values()) if (id === requestId) return true;
    return false;
  }
}
