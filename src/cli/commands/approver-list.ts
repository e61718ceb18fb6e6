import { existsSync } from 'node:fs';
import { approverKeyPath, loadApproverRegistry, refuseUnderAgent, type ApproverRecord } from '../../approval/index.js';
import { guardPaths } from '../../config/paths.js';
import { UsageError } from '../../errors.js';
import { writeLine, type Io } from '../io.js';
import type { ApproverListOptions, ApproverShowOptions } from '../specs/approver.js';

/** Every `guard approver` command is human-only, reading ones included (enroll checks itself). */
const HUMANS_ONLY = 'approver commands are for a human in their own terminal; an agent never handles approver keys';

export function approverList(io: Io, opts: ApproverListOptions): Promise<number> {
  refuseUnderAgent(io.env, 'list approvers', HUMANS_ONLY);
  const registry = loadApproverRegistry(guardPaths(io.env).approversDir);
  const approvers = opts.all === true ? registry : registry.filter((a) => a.removed === undefined);
  if (opts.json === true) {
    writeLine(io.stdout, JSON.stringify(approvers));
    return Promise.resolve(0);
  }
  if (approvers.length === 0) {
    writeLine(io.stdout, 'no approvers enrolled');
    writeLine(io.stdout, 'a human enrolls the first one with: guard approver enroll --name NAME --group GROUP');
    return Promise.resolve(0);
  }
  const rows = approvers.map((a) => [
    a.name,
    a.groups.join(','),
    a.fingerprint.slice(0, 16),
    a.osUser ?? '-',
    a.endorsedBy ?? '(bootstrap)',
    a.enrolledAt,
    ...(opts.all === true ? [a.removed?.at ?? '-'] : []),
  ]);
  const head = [
    'NAME',
    'GROUPS',
    'KEY',
    'OS USER',
    'ENDORSED BY',
    'ENROLLED',
    ...(opts.all === true ? ['REMOVED'] : []),
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    writeLine(
      io.stdout,
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  return Promise.resolve(0);
}

export function approverShow(io: Io, name: string, opts: ApproverShowOptions): Promise<number> {
  refuseUnderAgent(io.env, 'show an approver', HUMANS_ONLY);
  const approvers = loadApproverRegistry(guardPaths(io.env).approversDir);
  const rec = approvers.find((a) => a.name === name);
  if (rec === undefined) {
    throw new UsageError(`no approver named "${name}"`, {
      hint: approvers.length === 0 ? 'none is enrolled yet' : `enrolled: ${approvers.map((a) => a.name).join(', ')}`,
    });
  }
  if (opts.json === true) {
    writeLine(io.stdout, JSON.stringify(rec));
    return Promise.resolve(0);
  }
  printRecord(io, rec);
  const keyPath = approverKeyPath(io.env, rec.name);
  writeLine(io.stdout, `private key here:  ${existsSync(keyPath) ? keyPath : 'no (not held by this account)'}`);
  return Promise.resolve(0);
}

export function printRecord(io: Io, rec: ApproverRecord): void {
  const lines: [string, string | undefined][] = [
    ['name', rec.name],
    ['groups', rec.groups.join(', ')],
    ['key fingerprint', rec.fingerprint],
    ['os user', rec.osUser],
    ['slack user id', rec.slackUserId],
    ['email', rec.email],
    ['enrolled at', rec.enrolledAt],
    ['endorsed by', rec.endorsedBy ?? '(bootstrap approver)'],
    ['idp subject', rec.idp === undefined ? undefined : `${rec.idp.subject} at ${rec.idp.issuer}`],
    ...(rec.changes ?? []).map((c): [string, string] => [
      c.kind === 'rotate' ? 'key rotated' : 'updated',
      `${c.at} (signed by ${c.signer})`,
    ]),
    ['REMOVED', rec.removed === undefined ? undefined : `${rec.removed.at}: ${rec.removed.reason}`],
  ];
  for (const [k, v] of lines) if (v !== undefined) writeLine(io.stdout, `${`${k}:`.padEnd(18)} ${v}`);
}
