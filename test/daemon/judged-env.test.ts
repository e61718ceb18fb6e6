import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/daemon/client.js';
import { judgedEnv } from '../../src/daemon/judged-env.js';
import { ask } from '../../src/daemon/replies.js';
import { MARK, Rig } from './helpers.js';

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

  it('refuses an explicit env field whose value contradicts the hash its binding carries', () => {
    const binding = { env: { PGDATABASE: h('production') }, targets };
    expect(() => judgedEnv({ env: { PGDATABASE: 'staging' }, binding, context: {} }, ['PGDATABASE'])).toThrow(
      /the value of PGDATABASE judged differs from its binding/,
    );
    // a variable the binding does not carry is unset where the command runs
    expect(() => judgedEnv({ env: { X: '1' }, binding, context: {} }, [])).toThrow(/the value of X judged differs/);
    expect(judgedEnv({ env: { PGDATABASE: 'production' }, binding, context: {} }, [])).toEqual({
      PGDATABASE: 'production',
    });
  });

  it('an explicit env field, or a request without a binding, is judged as sent', () => {
    expect(judgedEnv({ env: { A: '1' }, context: {} }, ['A'])).toEqual({ A: '1' });
    expect(judgedEnv({ context: { env: { PGDATABASE: 'production' } } }, ['PGDATABASE'])).toBeUndefined();
  });
});

/**
 * Through a real daemon: a client that names one value in `env` while its binding (what the command
 * runs with, and what an executor checks) hashes another is refused, never judged on the claim.
 */
describe('judged environment through a real daemon', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = new Rig(`version: 1
default: allow
rules:
  - id: t.prod-db
    description: nothing runs against the production database
    effect: deny
    match: { program: mark, env: { PGDATABASE: 'prod*' } }
`);
    await rig.startDaemon();
  });
  afterAll(() => rig.cleanup());

  const exec = async (env: Record<string, string> | undefined, shown: Record<string, string> | undefined) => {
    const c = await DaemonClient.connect(join(rig.env['GUARD_HOME']!, 'run', 'guard.sock'));
    try {
      const argv = [MARK, rig.marker, 'db'];
      return await ask(c, {
        type: 'exec',
        argv,
        cwd: rig.home,
        context: { requester: { user: 'agent', agent: 'test' }, ...(shown === undefined ? {} : { env: shown }) },
        binding: { env: { PGDATABASE: h('production') }, targets: argv.map(() => null) },
        ...(env === undefined ? {} : { env }),
        noWait: true,
      });
    } finally {
      c.close();
    }
  };

  it('an env field that contradicts the binding is refused; nothing is recorded as run', async () => {
    await expect(exec({ PGDATABASE: 'staging' }, undefined)).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/the value of PGDATABASE judged differs from its binding/) as string,
    });
    // the same request, agreeing with its binding, is judged on the bound value
    await expect(exec({ PGDATABASE: 'production' }, undefined)).resolves.toMatchObject({
      outcome: 'deny',
      rules: ['t.prod-db'],
    });
    await expect(exec(undefined, { PGDATABASE: 'production' })).resolves.toMatchObject({ outcome: 'deny' });
    const recs = await rig.ledger();
    expect(recs.filter((r) => r.type === 'exec_start')).toHaveLength(0);
    expect(rig.marks()).toHaveLength(0);
  });
});
