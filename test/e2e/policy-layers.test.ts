/**
 * Policy layers through the real daemon: a project `.guard/` rule (the agent can write it) may only
 * tighten. Here it names other approver groups for a command an admin rule already holds: both
 * conditions must hold, so an approver from the project's group alone is refused (issue 13 item 5).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MARK, Rig } from '../daemon/helpers.js';

const ADMIN = `version: 1
rules:
  - id: admin.dba-only
    description: Database maintenance needs a DBA
    effect: approve
    match: { program: mark, any_arg: [vacuum-me] }
    approval: { groups: [dba], timeout: 60s }
`;
const PROJECT = `version: 1
rules:
  - id: project.sre-too
    description: The project names its own approvers
    effect: approve
    match: { program: mark, any_arg: [vacuum-me] }
    approval: { groups: [sre], quorum: 1, ttl: 24h, uses: 50, four_eyes: false }
`;

const ID = /request (rq-[0-9a-f]{12}) is waiting/;
let rig: Rig;
let work: string;

beforeEach(async () => {
  const r = new Rig();
  const system = join(r.home, 'system');
  mkdirSync(system);
  writeFileSync(join(system, 'admin.yaml'), ADMIN);
  work = join(r.home, 'repo');
  mkdirSync(join(work, '.git'), { recursive: true });
  mkdirSync(join(work, '.guard'));
  writeFileSync(join(work, '.guard', 'policy.yaml'), PROJECT);
  delete r.env['GUARD_DEFAULT_POLICIES'];
  r.env['GUARD_SYSTEM_POLICIES'] = system;
  rig = r;
  await rig.startDaemon([], { layers: true });
  await rig.enroll('alice', ['dba']);
  await rig.enroll('sam', ['sre'], 'alice');
  await rig.enroll('dana', ['dba', 'sre'], 'alice');
});
afterEach(() => rig.cleanup());

describe('a project layer that names other approver groups', () => {
  it('intersects them with the admin rule: only an approver in both groups counts', async () => {
    const p = rig.spawnGuard(['exec', '--', MARK, rig.marker, 'vacuum-me'], { cwd: work });
    const [, id] = await p.waitFor(ID);
    const shown = JSON.parse((await rig.guard(['show', id!, '--json'])).stdout) as Record<string, unknown>;
    expect(JSON.stringify(shown)).toContain('project.sre-too');
    const sam = await rig.approve(id!, 'sam');
    expect(sam.code).toBe(77);
    expect(sam.stderr).toMatch(/not in group dba/);
    expect(rig.marks()).toEqual([]);
    const refused = (await rig.ledger()).filter((x) => x.type === 'approval_refused');
    expect(refused.map((x) => x.payload['code'])).toEqual(['ineligible']);
    const alice = await rig.approve(id!, 'alice');
    expect(alice.code).toBe(77);
    expect(alice.stderr).toMatch(/not in group sre/);
    expect(rig.marks()).toEqual([]);
    expect((await rig.approve(id!, 'dana')).code).toBe(0);
    expect((await p.done).code).toBe(0);
    expect(rig.marks()).toHaveLength(1);
    // the project's looser settings (uses 50, ttl 24h) did not widen the admin rule's grant
    const after = JSON.parse((await rig.guard(['show', id!, '--json'])).stdout) as {
      grant: { usesLeft: number; expiresAt: string };
    };
    expect(after.grant.usesLeft).toBe(0);
    expect(Date.parse(after.grant.expiresAt) - Date.now()).toBeLessThanOrEqual(15 * 60 * 1000);
  });
});
