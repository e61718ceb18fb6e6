/**
 * guard's human-only commands refuse to run under an agent session, even with a valid approver
 * key and passphrase at hand: approve, deny, ask, revoke and every `approver` command exit 64 with
 * the marker named, and the request they aimed at stays pending.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_ENV_VARS } from '../../src/approval/agent-env.js';
import { Rig } from '../daemon/helpers.js';

let rig: Rig;
let id: string;
let waiting: ReturnType<Rig['exec']>;

beforeAll(async () => {
  rig = new Rig();
  await rig.startDaemon();
  await rig.enroll('alice', ['ops']);
});
afterAll(() => rig.cleanup());
// a fresh request for each test: the test rule's requests expire after a minute
beforeEach(async () => {
  waiting = rig.exec('approve-me');
  id = (await waiting.waitFor(/request (rq-[0-9a-f]{12}) is waiting/))[1]!;
});

const pass = (): string[] => ['--as', 'alice', '--passphrase-file', rig.passFile('alice')];
const COMMANDS: [string, () => string[]][] = [
  ['approve', () => ['approve', id, ...pass()]],
  ['deny', () => ['deny', id, '--reason', 'no', ...pass()]],
  ['ask', () => ['ask', id, '--question', 'why?', ...pass()]],
  ['revoke', () => ['revoke', id]],
  ['approver list', () => ['approver', 'list']],
  ['approver show', () => ['approver', 'show', 'alice']],
  [
    'approver enroll',
    () => ['approver', 'enroll', '--name', 'mallory', '--group', 'ops', '--passphrase-file', rig.passFile('alice')],
  ],
];

async function refused(args: string[], marker: string): Promise<void> {
  const r = await rig.guard(args, { env: { ...rig.env, [marker]: '1' } });
  expect(r.stderr).toContain(`inside an AI agent session (${marker} is set)`);
  expect(r.code).toBe(64);
}

async function state(): Promise<string> {
  return (JSON.parse((await rig.guard(['show', id, '--json'])).stdout) as { view: { state: string } }).view.state;
}

describe('human-only commands under an agent', () => {
  it('each refuses (exit 64, marker named) and the request stays pending', async () => {
    for (const [i, [, args]] of COMMANDS.entries()) await refused(args(), AGENT_ENV_VARS[i % AGENT_ENV_VARS.length]!);
    expect(await state()).toBe('pending');
    expect((await rig.guard(['approver', 'list', '--json'])).stdout).not.toContain('mallory');
  });

  it('approve refuses under every agent marker', async () => {
    for (const marker of AGENT_ENV_VARS) await refused(COMMANDS[0]![1](), marker);
    expect(await state()).toBe('pending');
  });

  it('the same approve without a marker is accepted (the refusal is the marker, not the command)', async () => {
    const r = await rig.guard(['approve', id, ...pass()]);
    expect(r.code).toBe(0);
    expect((await waiting.done).code).toBe(0);
    expect(rig.marks().map((m) => m.split(' ')[0])).toEqual(['approve-me']);
  });
});
