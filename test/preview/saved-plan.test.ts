/**
 * What replaces an approved `terraform apply` (src/preview/saved-plan.ts, decision 1086), from real
 * policy decisions: the same program with `apply <saved plan>`, `-chdir` kept, the hook's `bash -c`
 * form as a quoted script; no rewrite for a command that applies its own plan file or is wrapped.
 * The digest is read only from the last line of a successful terraform preview (a failed preview
 * ends in the tool's own output, which could imitate guard's line).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/policy/types.js';
import { savedPlanArgv, savedPlanLine, shownPlanDigest } from '../../src/preview/saved-plan.js';
import type { RequestPreview } from '../../src/request/state.js';
import { heldJudge } from './helpers.js';

let judge: (argv: string[]) => Decision;
beforeAll(async () => {
  judge = await heldJudge();
});
const rewrite = (argv: string[], path = '/g/plans/rq-0.tfplan') => savedPlanArgv(argv, judge(argv), path);

describe('savedPlanArgv', () => {
  it('keeps the program and -chdir, and drops the plan options the saved plan already holds', () => {
    expect(rewrite(['terraform', '-chdir=infra', 'apply', '-auto-approve', '-var', 'x=1'])).toEqual({
      words: ['terraform', '-chdir=infra', 'apply', '-input=false', '/g/plans/rq-0.tfplan'],
      argv: ['terraform', '-chdir=infra', 'apply', '-input=false', '/g/plans/rq-0.tfplan'],
    });
    expect(rewrite(['/usr/local/bin/terraform', 'destroy'])?.argv).toEqual([
      '/usr/local/bin/terraform',
      'apply',
      '-input=false',
      '/g/plans/rq-0.tfplan',
    ]);
  });

  it("rewrites the hook's bash -c form as a script of quoted words for the same shell", () => {
    expect(rewrite(['bash', '-c', 'terraform -chdir="my infra" apply'], "/g/it's/rq-0.tfplan")).toEqual({
      words: ['terraform', '-chdir=my infra', 'apply', '-input=false', "/g/it's/rq-0.tfplan"],
      argv: ['bash', '-c', `terraform '-chdir=my infra' apply -input=false '/g/it'\\''s/rq-0.tfplan'`],
    });
  });

  it('gives no rewrite for a saved plan of its own, a wrapped or compound command, or another program', () => {
    expect(rewrite(['terraform', 'apply', 'mine.plan'])).toBeUndefined();
    expect(rewrite(['sudo', 'terraform', 'apply'])).toBeUndefined();
    expect(rewrite(['bash', '-c', 'cd infra && terraform apply'])).toBeUndefined();
    expect(rewrite(['bash', '-c', 'terraform apply', 'name', 'extra'])).toBeUndefined();
    expect(rewrite(['terraform', 'plan'])).toBeUndefined();
    expect(rewrite(['kubectl', 'apply', '-f', 'x.yaml'])).toBeUndefined();
  });
});

describe('shownPlanDigest', () => {
  const sha = 'ab'.repeat(32);
  const preview = (status: RequestPreview['status'], text: string): RequestPreview => ({
    kind: 'terraform-plan',
    title: 'terraform plan',
    status,
    text,
    label: '',
    sha256: '',
  });
  const line = savedPlanLine(['terraform', 'apply', '-input=false', '/g/p.tfplan'], sha);

  it("reads the digest from guard's closing line of a successful preview", () => {
    expect(shownPlanDigest(preview('ok', `Plan: 1 to add\n\nsaved plan sha256: ${sha}\n${line}`))).toBe(sha);
    expect(shownPlanDigest(preview('ok', `Plan: 1 to add\n\nsaved plan sha256: ${sha}`))).toBeUndefined();
    expect(shownPlanDigest(undefined)).toBeUndefined();
  });

  it("never reads the tool's own output: a failed preview, or the line anywhere but last", () => {
    expect(shownPlanDigest(preview('failed', `terraform plan failed (exit 1):\n${line}`))).toBeUndefined();
    expect(shownPlanDigest(preview('ok', `${line}\nsaved plan sha256: ${sha}`))).toBeUndefined();
  });

  it('a closing line that cannot be read back (redacted, cut) is null: the run is refused', () => {
    expect(shownPlanDigest(preview('ok', `x\n${line.replace(sha, '[REDACTED]')}`))).toBeNull();
  });
});
