/**
 * `guard approver remove|update|rotate` (decision 0426). Through a running daemon (which checks
 * the peer, applies the change and records it in the ledger), else straight on the registry, as
 * enrolment does.
 */
import { renameSync, rmSync } from 'node:fs';
import {
  approverFields,
  approverKeyPath,
  changeApprover,
  createApproverKey,
  loadApproverRegistry,
  readKeyFile,
  readPassphrase,
  refuseUnderAgent,
  removeApprover,
  signRotate,
  signUpdate,
  unlockApproverKey,
  writeKeyFile,
  type ApproverChange,
  type ApproverFields,
  type ApproverRecord,
} from '../../approval/index.js';
import { connectIfRunning } from '../../daemon/connect.js';
import { guardPaths } from '../../config/paths.js';
import { UsageError } from '../../errors.js';
import { writeLine, type Io } from '../io.js';
import { newPassphrase, progress, unlockEndorser } from './approver-enroll.js';
import { printRecord } from './approver-list.js';
import { callDaemon } from './decide-common.js';
import type { ApproverRemoveOptions, ApproverRotateOptions, ApproverUpdateOptions } from '../specs/approver.js';

const HUMANS_ONLY = 'approver commands are for a human in their own terminal; an agent never handles approver keys';

const CLEARABLE = { 'slack-user-id': 'slackUserId', email: 'email' } as const;

/** The record as the daemon holds it (its registry may be unreadable here), else the local one. */
async function current(io: Io, name: string): Promise<ApproverRecord> {
  const client = await connectIfRunning(io.env);
  const rec =
    client !== undefined
      ? await callDaemon(client, { type: 'approver_get', name })
      : loadApproverRegistry(guardPaths(io.env).approversDir).find((a) => a.name === name);
  if (rec === undefined) throw new UsageError(`no approver named "${name}" is enrolled`);
  if (rec.removed !== undefined) throw new UsageError(`approver "${name}" was removed at ${rec.removed.at}`);
  return rec;
}

function report(io: Io, rec: ApproverRecord, what: string, json: boolean | undefined): number {
  if (json === true) writeLine(io.stdout, JSON.stringify(rec));
  else {
    writeLine(io.stdout, what);
    printRecord(io, rec);
  }
  return 0;
}

async function submitChange(io: Io, change: ApproverChange): Promise<ApproverRecord> {
  const client = await connectIfRunning(io.env);
  if (client !== undefined) return callDaemon(client, { type: 'approver_change', change });
  return changeApprover(guardPaths(io.env).approversDir, change);
}

export async function approverRemove(io: Io, name: string, opts: ApproverRemoveOptions): Promise<number> {
  refuseUnderAgent(io.env, 'remove an approver', HUMANS_ONLY);
  const client = await connectIfRunning(io.env);
  const rec =
    client !== undefined
      ? await callDaemon(client, { type: 'approver_remove', name, reason: opts.reason })
      : removeApprover(guardPaths(io.env).approversDir, name, opts.reason);
  return report(io, rec, `removed approver ${rec.name}: it no longer counts for any decision`, opts.json);
}

export async function approverUpdate(io: Io, name: string, opts: ApproverUpdateOptions): Promise<number> {
  refuseUnderAgent(io.env, 'update an approver', HUMANS_ONLY);
  const rec = await current(io, name);
  const after: ApproverFields = { ...approverFields(rec) };
  if (opts.group !== undefined) after.groups = opts.group;
  if (opts.osUser !== undefined) after.osUser = opts.osUser;
  if (opts.slackUserId !== undefined) after.slackUserId = opts.slackUserId;
  if (opts.email !== undefined) after.email = opts.email;
  for (const field of opts.clear ?? []) {
    const key = CLEARABLE[field as keyof typeof CLEARABLE];
    if (key === undefined) throw new UsageError(`--clear takes ${Object.keys(CLEARABLE).join(' or ')}, not "${field}"`);
    after[key] = undefined;
  }
  if (JSON.stringify(approverFields(after)) === JSON.stringify(approverFields(rec)))
    throw new UsageError('nothing to change', { hint: 'give --group, --os-user, --slack-user-id, --email or --clear' });
  if (opts.endorseBy === name)
    throw new UsageError('an approver cannot sign a change to itself', {
      hint: 'another enrolled approver signs it with --endorse-by',
    });
  const tty = (io.stdin as { isTTY?: boolean }).isTTY === true;
  const signer = await unlockEndorser(io, opts, tty, undefined);
  let change: ApproverChange;
  try {
    change = signUpdate(signer, opts.endorseBy, rec, after);
  } finally {
    signer.dispose();
  }
  const out = await submitChange(io, change);
  return report(io, out, `updated approver ${out.name} (signed by ${opts.endorseBy})`, opts.json);
}

export async function approverRotate(io: Io, name: string, opts: ApproverRotateOptions): Promise<number> {
  refuseUnderAgent(io.env, 'rotate an approver key', HUMANS_ONLY);
  const rec = await current(io, name);
  const keyPath = approverKeyPath(io.env, name);
  const tty = (io.stdin as { isTTY?: boolean }).isTTY === true;
  const oldPass = await readPassphrase({
    passphraseFile: opts.passphraseFile,
    passphraseFd: opts.passphraseFd,
    tty,
    prompt: `Current passphrase of approver ${name}: `,
    stdin: io.stdin,
    stderr: io.stderr,
  });
  let oldKey;
  try {
    progress(io, `unlocking ${name}'s key…`);
    oldKey = unlockApproverKey(readKeyFile(keyPath), oldPass);
  } finally {
    oldPass.fill(0);
  }
  try {
    if (oldKey.publicKey !== rec.publicKey)
      throw new UsageError(`the key file ${keyPath} does not hold ${name}'s enrolled key`);
    const pass = await newPassphrase(
      io,
      { name, passphraseFile: opts.newPassphraseFile, passphraseFd: opts.newPassphraseFd },
      tty,
    );
    let created;
    let newKey;
    try {
      progress(io, 'creating the new key (scrypt takes a few seconds)…');
      created = createApproverKey(pass);
      // unlocking the new file proves it opens with the new passphrase, and the new key signs too
      newKey = unlockApproverKey(created.encrypted, pass);
    } finally {
      pass.fill(0);
    }
    const staged = `${keyPath}.rotating`;
    rmSync(staged, { force: true });
    writeKeyFile(staged, created.encrypted);
    try {
      let change: ApproverChange;
      try {
        change = signRotate(oldKey, newKey, rec);
      } finally {
        newKey.dispose();
      }
      const out = await submitChange(io, change);
      renameSync(staged, keyPath); // the old private key is gone with the rename
      return report(io, out, `rotated the key of approver ${out.name}; the old key no longer approves`, opts.json);
    } catch (err) {
      rmSync(staged, { force: true });
      throw err;
    }
  } finally {
    oldKey.dispose();
  }
}
