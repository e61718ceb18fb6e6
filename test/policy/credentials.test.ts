/**
 * `credentials:` on a rule (enforced mode, decision 1020): a decision carries the credentials of
 * every matching rule; a file that may only tighten (the project layer, an unsigned user or system
 * file) cannot hand a command credentials — the rule still applies, without them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy, createEngine, type Engine } from '../../src/policy/index.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});

const RULES = `version: 1
rules:
  - {id: db.read, description: db, effect: approve, credentials: [db, db], match: {program: psql}}
  - {id: db.audit, description: audit, effect: approve, credentials: [audit], match: {program: psql, text: drop}}
`;
const req = (argv: string[]) => ({ argv, cwd: '/', requester: { user: 'a' } });

describe('credentials on rules', () => {
  it('a decision names the credentials of every matching rule', () => {
    const { policy } = compilePolicy([{ file: 'p.yaml', layer: 'explicit', text: RULES }], { engine });
    const d = engine.evaluate(req(['psql', '-c', 'drop table t']), policy);
    expect(d.matches.map((m) => [m.ruleId, m.credentials])).toEqual([
      ['db.read', ['db']],
      ['db.audit', ['audit']],
    ]);
    expect(engine.evaluate(req(['ls']), policy).matches).toEqual([]);
  });

  it.each(['project', 'user'] as const)(
    'a tighten-only %s file cannot give credentials; its rule still holds',
    (layer) => {
      const r = compilePolicy(
        [{ file: 'p.yaml', layer, text: RULES, ...(layer === 'user' ? { tightenOnly: true } : {}) }],
        {
          engine,
        },
      );
      expect(r.warnings.filter((w) => w.includes('may not give commands credentials'))).toHaveLength(2);
      const d = engine.evaluate(req(['psql', '-c', 'drop table t']), r.policy);
      expect(d.effect).toBe('approve');
      expect(d.matches.map((m) => m.credentials)).toEqual([undefined, undefined]);
    },
  );

  it('refuses a malformed credential name', () => {
    expect(() =>
      compilePolicy([{ file: 'p.yaml', layer: 'explicit', text: RULES.replace('[audit]', '["Bad Name"]') }], {
        engine,
      }),
    ).toThrow(/credential name/);
  });
});
