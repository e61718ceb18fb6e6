/** `approval: { identity: step-up }`: compiled into the request's settings, kept when rules merge. */
import { beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy, createEngine, PolicyLoadError, type Engine } from '../../src/policy/index.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const ctx = { cwd: '/srv/repo', requester: { user: 'alice', agent: 'claude-code' } };

const yaml = (identity: string) => `version: 1
default: allow
rules:
  - id: t.delete
    description: kubectl delete
    effect: approve
    match: { program: kubectl, subcommand: delete }
    approval: { groups: [sre]${identity} }
  - id: t.drain
    description: kubectl drain
    effect: approve
    match: { program: kubectl, subcommand: drain }
`;

const evaluate = (text: string, shell: string) =>
  engine.evaluate(
    { ...ctx, argv: ['sh', '-c', shell], shell },
    compilePolicy([{ file: 'p.yaml', layer: 'user', text }], { engine }).policy,
  );

describe('identity: step-up', () => {
  it('is set on the rule that asks for it and survives merging with a rule that does not', () => {
    const p = yaml(', identity: step-up');
    expect(evaluate(p, 'kubectl delete pod a').approval?.stepUp).toBe(true);
    expect(evaluate(p, 'kubectl drain n1').approval?.stepUp).toBeUndefined();
    expect(evaluate(p, 'kubectl drain n1; kubectl delete pod a').approval?.stepUp).toBe(true);
    expect(evaluate(yaml(''), 'kubectl delete pod a').approval?.stepUp).toBeUndefined();
  });

  it('refuses any other value with a clear error', () => {
    expect(() =>
      compilePolicy([{ file: 'p.yaml', layer: 'user', text: yaml(', identity: password') }], { engine }),
    ).toThrow(PolicyLoadError);
  });
});
