/**
 * The executor's plan for a credentialed command (enforced mode, decision 1020) binds the
 * environment it will pass on to the one the command was judged with. A hostile client that sends
 * its full request without the binding, or with judged values its binding does not carry, is
 * refused before anything runs; a quick request still gets its plan (then need_context).
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { executorPlan } from '../../src/daemon/executor.js';
import type { DaemonContext } from '../../src/daemon/context.js';
import { compilePolicy, createEngine, type Decision } from '../../src/policy/index.js';

const RULES = `version: 1
rules:
  - {id: db.read, description: db, effect: allow, credentials: [db], match: {program: psql}}
`;
const hash = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
// executorPlan reads only the daemon's environment (is an executor configured?)
const ctx = { env: { GUARD_RUNNER_USER: 'runner' } } as unknown as DaemonContext;
const argv = ['psql', '-c', 'select 1'];
let decision: Decision;

beforeAll(async () => {
  const engine = await createEngine();
  const { policy } = compilePolicy([{ file: 'p.yaml', layer: 'explicit', text: RULES }], { engine });
  decision = engine.evaluate({ argv, cwd: '/', requester: { user: 'a' } }, policy);
});

describe('executor plan', () => {
  it('refuses a full request without its environment binding', () => {
    expect(() => executorPlan(ctx, { argv, cwd: '/' }, decision)).toThrow(/environment binding/);
  });

  it('refuses judged values that the binding does not carry', () => {
    const binding = { env: { PGHOST: hash('prod') }, targets: [null, null, null] };
    expect(() => executorPlan(ctx, { argv, cwd: '/', env: { PGHOST: 'staging' }, binding }, decision)).toThrow(
      /PGHOST was judged with a value its binding does not carry/,
    );
  });

  it('plans a bound request, and a quick one (answered with need_context)', () => {
    const binding = { env: { PGHOST: hash('staging') }, targets: [null, null, null] };
    const plan = executorPlan(ctx, { argv, cwd: '/', env: { PGHOST: 'staging' }, binding }, decision);
    expect(plan?.envHashes).toEqual(binding.env);
    expect(executorPlan(ctx, { argv, cwd: '/', partialContext: true }, decision)?.credentials).toEqual(['db']);
  });
});
