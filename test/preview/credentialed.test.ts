/**
 * Which preview of a credentialed command runs with the credentials (decision 1096), on real policy
 * decisions: a SQL count by default, terraform/kubectl/helm only when every rule giving the command
 * credentials says `preview: with_credentials`, git and rm as the runner without them. The executor
 * run itself is proved end to end in test/e2e/enforced-previews.test.ts; here the job handed to it
 * is recorded.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy, createEngine } from '../../src/policy/index.js';
import type { Decision } from '../../src/policy/types.js';
import { previewFor } from '../../src/preview/index.js';

const POLICY = `version: 1
rules:
  - { id: sql, description: db, effect: approve, credentials: [db], match: { program: psql } }
  - id: tf
    description: terraform, previews with its credentials
    effect: approve
    credentials: [tok]
    preview: with_credentials
    match: { program: terraform }
  - { id: tf-destroy, description: more credentials, effect: approve, credentials: [root], match: { program: terraform, any_arg: [destroy] } }
  - { id: kube, description: kubectl, effect: approve, credentials: [kube], match: { program: [kubectl, helm] } }
  - { id: rm, description: rm, effect: approve, credentials: [tok], match: { program: rm } }
`;

let judge: (argv: string[]) => Decision;
beforeAll(async () => {
  const engine = await createEngine();
  const { policy } = compilePolicy([{ file: 'p.yaml', layer: 'explicit', text: POLICY }], { engine });
  judge = (argv) => engine.evaluate({ argv, cwd: '/', requester: { user: 'u' } }, policy);
});

/** The preview of argv as a credentialed command, and the jobs the executor was handed. */
async function credentialed(argv: string[]) {
  const jobs: { kind: string; withCredentials: boolean }[] = [];
  const p = await previewFor({
    decision: judge(argv),
    cwd: '/',
    env: {},
    peerUid: 1,
    daemonUid: 2,
    credentialed: true,
    executor: (job) => {
      jobs.push({ kind: job.plan.kind, withCredentials: job.withCredentials });
      return Promise.resolve({ status: 'ok', text: 'ran' });
    },
  });
  return { p, jobs };
}

describe('credentialed previews (enforced mode)', () => {
  it('a SQL count runs with the credentials by default', async () => {
    const { p, jobs } = await credentialed(['psql', '-c', 'delete from t where a = 1']);
    expect(jobs).toEqual([{ kind: 'sql-count', withCredentials: true }]);
    expect(p).toMatchObject({ status: 'ok', text: 'ran' });
  });

  it('terraform runs with them when its one credential-giving rule opts in', async () => {
    const { jobs } = await credentialed(['terraform', 'apply']);
    expect(jobs).toEqual([{ kind: 'terraform-plan', withCredentials: true }]);
  });

  it('not when another rule giving credentials does not opt in, nor for kubectl or helm without it', async () => {
    for (const argv of [
      ['terraform', 'destroy'],
      ['kubectl', 'apply', '-f', 'a.yaml'],
      ['helm', 'upgrade', 'web', './chart'],
    ]) {
      const { p, jobs } = await credentialed(argv);
      expect(jobs).toEqual([]);
      expect(p).toMatchObject({ status: 'skipped' });
      expect(p!.text).toMatch(/before anyone approved; a rule opts in with `preview: with_credentials`/);
    }
  });

  it('rm -r runs as the runner without the credentials', async () => {
    const { jobs } = await credentialed(['rm', '-r', 'build']);
    expect(jobs).toEqual([{ kind: 'rm-tree', withCredentials: false }]);
  });

  it('a file that may only tighten cannot opt in (its credentials are ignored too)', async () => {
    const engine = await createEngine();
    const { policy } = compilePolicy(
      [
        {
          file: 'project.yaml',
          layer: 'project',
          text: `version: 1
rules:
  - { id: tf, description: t, effect: approve, credentials: [tok], preview: with_credentials, match: { program: terraform } }
`,
        },
      ],
      { engine },
    );
    const rule = policy.rules.find((r) => r.id === 'tf');
    expect(rule?.credentials).toBeUndefined();
    expect(rule?.preview).toBeUndefined();
  });
});
