/**
 * The approver registry: one JSON file of public material per approver, in a 0700 directory.
 * Loading validates every file and fails closed on any bad one (skipping it could make a
 * non-empty registry look empty, which would allow an unendorsed "bootstrap" enrollment).
 */
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { FailClosedError, UsageError } from '../errors.js';
import { parseTime, publicKeyFingerprint } from './encoding.js';
import { checkEndorsement, endorsementCovers, ENDORSEMENT_MAX_AGE_SECONDS, type Candidate } from './endorsement.js';
import { changeProblem, changesProblem, enrolledFields, keyHistory, signedByHistory, withChange } from './changes.js';
import { endorsementStatement } from './statement.js';
import { APPROVER_NAME, approverChangeSchema, approverRecordSchema, firstIssue } from './schema.js';
import type { ApproverChange, ApproverRecord, Endorsement } from './types.js';

const SUFFIX = '.json';

/** The approvers who count: every enrolled one not removed. */
export function loadApprovers(dir: string): ApproverRecord[] {
  return loadApproverRegistry(dir).filter((r) => r.removed === undefined);
}

/** Every record, removed ones included (they anchor endorsements), after checking the whole chain. */
export function loadApproverRegistry(dir: string): ApproverRecord[] {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new FailClosedError(`cannot read the approver registry ${dir}: ${(err as Error).message}`);
  }
  if (!st.isDirectory()) throw new FailClosedError(`the approver registry ${dir} is not a directory`);
  if ((st.mode & 0o022) !== 0) {
    throw new FailClosedError(
      `the approver registry ${dir} is writable by other users (mode ${(st.mode & 0o777).toString(8)})`,
      {
        hint: `run: chmod 700 ${dir}`,
      },
    );
  }
  const out: ApproverRecord[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (file.startsWith('.') || !file.endsWith(SUFFIX)) continue;
    out.push(readRecord(join(dir, file), file.slice(0, -SUFFIX.length)));
  }
  checkChain(dir, out);
  return out;
}

/**
 * Every approver but one (the bootstrap) must carry an endorsement signed by an approver that is
 * itself in the chain from the bootstrap. A record written by hand (no endorsement, or one signed
 * by a key outside the chain — say two made-up approvers endorsing each other) refuses the whole
 * registry: skipping it would hide the tampering, and the daemon then approves nothing.
 */
function checkChain(dir: string, records: ApproverRecord[]): void {
  const bad = (why: string) =>
    new FailClosedError(`the approver registry ${dir} is invalid: ${why}`, {
      hint: 'approvers are enrolled with `guard approver enroll` (endorsed by an enrolled approver); remove records written by hand',
    });
  const roots = records
    .filter((r) => r.endorsement === undefined)
    .sort((a, b) => a.enrolledAt.localeCompare(b.enrolledAt));
  if (roots.length > 1)
    throw bad(
      `${roots
        .slice(1)
        .map((r) => r.name)
        .join(', ')}: no endorsement; only the first (bootstrap) approver, ${roots[0]!.name}, enrolls without one`,
    );
  const trusted = new Map(roots.map((r) => [r.name, r]));
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of records) {
      const e = r.endorsement;
      if (trusted.has(r.name) || e === undefined) continue;
      const endorser = trusted.get(e.endorser);
      if (endorser === undefined || e.endorser === r.name || r.endorsedBy !== e.endorser) continue;
      if (!signedByHistory(endorser, endorsementStatement(e), e.signature)) continue;
      if (
        !endorsementCovers(e, {
          name: r.name,
          osUser: undefined,
          slackUserId: undefined,
          email: undefined,
          ...enrolledFields(r),
        })
      )
        continue;
      trusted.set(r.name, r);
      grew = true;
    }
  }
  const outside = records.filter((r) => !trusted.has(r.name)).map((r) => r.name);
  if (outside.length > 0)
    throw bad(`${outside.join(', ')}: no valid endorsement by an approver enrolled before (a record written by hand?)`);
  for (const r of records) {
    const problem = changesProblem(r, trusted);
    if (problem !== undefined) throw bad(`${r.name}: ${problem}`);
  }
}

function readRecord(path: string, expectedName: string): ApproverRecord {
  const bad = (why: string) =>
    new FailClosedError(`approver file ${path} is invalid: ${why}`, {
      hint: 'restore it from the ledger or a backup, or remove it',
    });
  if (!lstatSync(path).isFile()) throw bad('not a regular file');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw bad((err as Error).message);
  }
  const parsed = approverRecordSchema.safeParse(raw);
  if (!parsed.success) throw bad(firstIssue(parsed.error));
  const rec = parsed.data;
  if (rec.name !== expectedName) throw bad(`it names "${rec.name}" but is stored as "${expectedName}"`);
  if (publicKeyFingerprint(rec.publicKey) !== rec.fingerprint)
    throw bad('the fingerprint does not match the public key');
  return rec;
}

/** Remove one record (undo an enrollment whose ledger record could not be written). */
export function removeApproverRecord(dir: string, name: string): void {
  if (!APPROVER_NAME.test(name)) throw new UsageError(`invalid approver name "${name}"`);
  rmSync(join(dir, `${name}${SUFFIX}`), { force: true });
}

/** Atomic write (temp file, fsync, rename, fsync dir) of one validated record. */
export function saveApprover(dir: string, rec: ApproverRecord): void {
  const parsed = approverRecordSchema.safeParse(rec);
  if (!parsed.success) throw new UsageError(`invalid approver record: ${firstIssue(parsed.error)}`);
  if (publicKeyFingerprint(rec.publicKey) !== rec.fingerprint)
    throw new UsageError('invalid approver record: the fingerprint does not match the public key');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const final = join(dir, `${rec.name}${SUFFIX}`);
  const tmp = join(dir, `.${rec.name}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(parsed.data, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, final);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/**
 * Enroll an approver, enforcing the endorsement rule: the first approver (empty registry) is the
 * bootstrap and takes no endorsement; every later one needs a valid endorsement by an enrolled
 * approver covering exactly this candidate. Serialised by a lock file so two enrollments cannot
 * both see an empty registry.
 */
export function registerApprover(
  dir: string,
  candidate: Candidate,
  endorsement?: Endorsement,
  now: Date = new Date(),
): ApproverRecord {
  if (!APPROVER_NAME.test(candidate.name))
    throw new UsageError(`invalid approver name "${candidate.name}"`, { hint: 'use letters, digits, . _ - (max 64)' });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withLock(dir, () => {
    // removed approvers count here: a name or key is never reused, and a registry whose approvers
    // were all removed is not empty (no second bootstrap)
    const all = loadApproverRegistry(dir);
    const approvers = all.filter((r) => r.removed === undefined);
    const gone = all.find((a) => a.name === candidate.name && a.removed !== undefined);
    if (gone !== undefined)
      throw new UsageError(`approver "${candidate.name}" was removed at ${gone.removed!.at}; names are not reused`, {
        hint: 'enroll under a new name',
      });
    if (approvers.some((a) => a.name === candidate.name))
      throw new UsageError(`approver "${candidate.name}" is already enrolled`);
    if (all.some((a) => keyHistory(a).includes(candidate.publicKey)))
      throw new UsageError('this public key is already enrolled under another name');
    if (all.length === 0 && endorsement !== undefined) {
      throw new UsageError(
        'the registry is empty: the first approver is the bootstrap approver and takes no endorsement',
      );
    }
    if (all.length > 0) {
      if (endorsement === undefined) {
        throw new UsageError(`enrolling "${candidate.name}" needs an endorsement by an enrolled approver`, {
          hint: 'an existing approver runs the enrollment with --endorse-by THEIR_NAME and types their passphrase',
        });
      }
      const ok = checkEndorsement(endorsement, approvers, now);
      if (!ok.ok) throw new UsageError(`endorsement refused: ${ok.reason}`);
      if (!endorsementCovers(endorsement, candidate))
        throw new UsageError('endorsement refused: it was signed for a different name, groups, key or identity');
    }
    const rec: ApproverRecord = {
      ...candidate,
      groups: [...candidate.groups],
      fingerprint: publicKeyFingerprint(candidate.publicKey),
      enrolledAt: now.toISOString(),
      ...(endorsement === undefined ? {} : { endorsedBy: endorsement.endorser, endorsement }),
    };
    saveApprover(dir, rec);
    return rec;
  });
}

/**
 * Remove an approver: the record stays, marked removed (its endorsements keep the chain valid,
 * its name and keys are never reused); it no longer counts for any decision, endorsement or change.
 */
export function removeApprover(dir: string, name: string, reason: string, now: Date = new Date()): ApproverRecord {
  return withLock(dir, () => {
    const all = loadApproverRegistry(dir);
    const rec = all.find((r) => r.name === name);
    if (rec === undefined) throw new UsageError(`no approver named "${name}" is enrolled`);
    if (rec.removed !== undefined) throw new UsageError(`approver "${name}" was already removed at ${rec.removed.at}`);
    // with no approver left nobody could endorse a new one: the registry would be locked for good
    if (all.every((r) => r.name === name || r.removed !== undefined))
      throw new UsageError(`"${name}" is the last approver and cannot be removed`, {
        hint: 'enroll the replacement first (endorsed by this approver), then remove this one',
      });
    const next: ApproverRecord = { ...rec, removed: { at: now.toISOString(), reason } };
    saveApprover(dir, next);
    return next;
  });
}

/**
 * Apply one signed change (update or rotate). Like an endorsement it must be fresh, the signer of
 * an update must be another approver who has not been removed, and the result must load.
 */
export function changeApprover(dir: string, change: ApproverChange, now: Date = new Date()): ApproverRecord {
  const parsed = approverChangeSchema.safeParse(change);
  if (!parsed.success) throw new UsageError(`malformed approver change: ${firstIssue(parsed.error)}`);
  const c = parsed.data;
  const at = parseTime(c.at)!;
  if (at > now.getTime() + 5 * 60_000) throw new UsageError(`the change is signed in the future (${c.at})`);
  if (at < now.getTime() - ENDORSEMENT_MAX_AGE_SECONDS * 1000)
    throw new UsageError(`the change signed at ${c.at} is older than ${ENDORSEMENT_MAX_AGE_SECONDS / 60} minutes`);
  return withLock(dir, () => {
    const all = loadApproverRegistry(dir);
    const byName = new Map(all.map((r) => [r.name, r]));
    const rec = byName.get(c.name);
    if (rec === undefined) throw new UsageError(`no approver named "${c.name}" is enrolled`);
    if (rec.removed !== undefined) throw new UsageError(`approver "${c.name}" was removed at ${rec.removed.at}`);
    if (c.kind === 'rotate' && rec.idp !== undefined)
      throw new UsageError(`approver "${c.name}" is bound to an IdP login that names its current key`, {
        hint: 'enroll the new key with `guard approver enroll --idp` under a new name, then remove this one',
      });
    const signer = byName.get(c.signer);
    if (c.kind === 'update' && signer?.removed !== undefined)
      throw new UsageError(`"${c.signer}" was removed and cannot sign changes`);
    if (c.kind === 'rotate' && all.some((a) => keyHistory(a).includes(c.after.publicKey)))
      throw new UsageError('the new key is already enrolled');
    const problem = changeProblem(c, rec.name, rec, signer);
    if (problem !== undefined) throw new UsageError(`change refused: ${problem}`);
    const next = withChange(rec, c);
    checkChain(
      dir,
      all.map((r) => (r.name === next.name ? next : r)),
    );
    saveApprover(dir, next);
    return next;
  });
}

function withLock<T>(dir: string, fn: () => T): T {
  const lock = join(dir, '.enroll.lock');
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (!lockHolderGone(lock))
      throw new FailClosedError('another enrollment is in progress', {
        hint: `retry; if none is running, remove ${lock}`,
      });
    rmSync(lock, { force: true });
    fd = openSync(lock, 'wx', 0o600);
  }
  try {
    writeSync(fd, String(process.pid));
    return fn();
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

function lockHolderGone(lock: string): boolean {
  const pid = Number(readFileSync(lock, 'utf8').trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
