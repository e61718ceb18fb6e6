/** Policy `escalate: { after, to }`: compiled to seconds, kept in a merge only when every rule agrees. */
import { describe, expect, it } from 'vitest';
import { compilePolicy, createEngine } from '../../src/policy/index.js';

const yaml = `version: 1
default: allow
rules:
  - id: t.delete
    description: kubectl delete
    effect: approve
    match: { program: kubectl, subcommand: delete }
    approval: { groups: [sre], escalate: { after: 15m, to: oncall } }
  - id: t.rm
    description: rm
    effect: approve
    match: { program: rm }
    approval: { groups: [sre], escalate: { after: 30s, to: oncall } }
  - id: t.dd
    description: dd
    effect: approve
    match: { program: dd }
    approval: { groups: [sre], escalate: { after: 30s, to: managers } }
  - id: t.plain
    description: shred
    effect: approve
    match: { program: shred }
    approval: { groups: [sre] }
`;

async function judge(line: string) {
  const engine = await createEngine();
  const { policy } = compilePolicy([{ file: 'test.yaml', layer: 'user', text: yaml }], { engine });
  const ctx = { cwd: '/srv', requester: { user: 'agent' } };
  return engine.evaluate({ ...ctx, argv: ['sh', '-c', line], shell: line }, policy).approval;
}

describe('policy escalate', () => {
  it('compiles `after` to seconds', async () => {
    expect((await judge('kubectl delete pod x'))?.escalate).toEqual({ afterSeconds: 900, to: 'oncall' });
  });

  it('two rules escalating to the same group keep the later time', async () => {
    expect((await judge('kubectl delete pod x; rm -f a'))?.escalate).toEqual({ afterSeconds: 900, to: 'oncall' });
  });

  it('is dropped when one matching rule does not escalate or escalates elsewhere', async () => {
    expect((await judge('rm -f a; shred b'))?.escalate).toBeUndefined();
    expect((await judge('rm -f a; dd if=/dev/zero of=b'))?.escalate).toBeUndefined();
  });

  it('refuses unknown keys and a missing group', async () => {
    const engine = await createEngine();
    for (const bad of ['{ after: 1m, to: oncall, extra: 1 }', '{ after: 1m }', '{ after: soon, to: oncall }']) {
      const text = yaml.replace('{ after: 15m, to: oncall }', bad);
      expect(() => compilePolicy([{ file: 'test.yaml', layer: 'user', text }], { engine })).toThrow();
    }
  });
});
