import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { judgedEnv } from '../../src/daemon/judged-env.js';

const h = (v: string): string => createHash('sha256').update(v, 'utf8').digest('hex');
const targets: (string | null)[] = [];

describe('judgedEnv (decision 1025)', () => {
  it('keeps a shown value only when the binding carries its hash', () => {
    const env = judgedEnv(
      {
        binding: { env: { PGDATABASE: h('production'), PGHOST: h('db1') }, targets },
        context: { env: { PGDATABASE: 'production', PGHOST: 'not-db1' } },
      },
      [],
    );
    expect(env).toEqual({ PGDATABASE: 'production' });
  });

  it('refuses when a bound variable the policy reads is set but its value is withheld or false', () => {
    const binding = { env: { PGDATABASE: h('production') }, targets };
    for (const context of [{}, { env: { PGDATABASE: 'staging' } }])
      expect(() => judgedEnv({ binding, context }, ['PGDATABASE'])).toThrow(/the policy reads PGDATABASE/);
  });

  it('an explicit env field, or a request without a binding, is judged as sent', () => {
    expect(judgedEnv({ env: { A: '1' }, context: {} }, ['A'])).toEqual({ A: '1' });
    expect(judgedEnv({ context: { env: { PGDATABASE: 'production' } } }, ['PGDATABASE'])).toBeUndefined();
  });
});
