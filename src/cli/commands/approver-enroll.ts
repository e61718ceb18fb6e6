import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import {
  refuseUnderAgent,
  approverRecordSchema,
  approverKeyPath,
  newApproverKeyPath,
  createApproverKey,
  loadApprovers,
  readKeyFile,
  readPassphrase,
  registerApprover,
  signEndorsement,
  unlockApproverKey,
  writeKeyFile,
  type Candidate,
  type Endorsement,
} from '../../approval/index.js';
import { firstIssue } from '../../approval/schema.js';
import type { ApproverRecord } from '../../approval/types.js';
import { connectIfRunning } from '../../daemon/connect.js';
import { callDaemon } from './decide-common.js';
import { guardPaths } from '../../config/paths.js';
import { FailClosedError, UsageError } from '../../errors.js';
import { writeLine, type Io } from '../io.js';
import { printRecord } from './approver-list.js';
import type { ApproverEnrollOptions } from '../specs/approver.js';

const candidateFields = approverRecordSchema.omit({
  publicKey: true,
  fingerprint: true,
  enrolledAt: true,
  endorsedBy: true,
});

/** Long enough that an offline guess at the key file is expensive even with scrypt. */
export const MIN_PASSPHRASE_BYTES = 12;
/** How many times a terminal prompt asks again after a too-short or mistyped passphrase. */
const PROMPT_ATTEMPTS = 3;

export async function approverEnroll(io: Io, opts: ApproverEnrollOptions): Promise<number> {
  refuseUnderAgent(
    io.env,
    'enroll an approver',
    'a human runs `guard approver enroll` in their own terminal; agents never hold approver keys',
  );
  const fields = candidateFields.safeParse({
    name: opts.name,
    groups: opts.group,
    osUser: opts.osUser,
    slackUserId: opts.slackUserId,
    email: opts.email,
  });
  if (!fields.success) throw new UsageError(`invalid enrollment: ${firstIssue(fields.error)}`);
  const regDir = guardPaths(io.env).approversDir;
  // a running daemon registers the approver and records it in the ledger (decision 0425); its
  // registry may be unreadable here (hardened mode), so it alone checks names and endorsements
  const probe = await connectIfRunning(io.env);
  probe?.close();
  const viaDaemon = probe !== undefined;
  const keyPath = newApproverKeyPath(io.env, opts.name);
  if (!viaDaemon) checkLocally(opts, loadApprovers(regDir));
  // the provider is reached before any passphrase is asked for: no point typing one if it is down
  const idp = opts.idp === true ? await prepareIdp(io.env) : undefined;
  if (idp === undefined && (opts.device === true || opts.openBrowser === true))
    throw new UsageError('--device and --open-browser go with --idp');
  const tty = (io.stdin as { isTTY?: boolean }).isTTY === true;
  const endorser =
    opts.endorseBy === undefined
      ? undefined
      : await unlockEndorser(io, opts, tty, viaDaemon ? undefined : loadApprovers(regDir));
  try {
    const passphrase = await newPassphrase(io, opts, tty);
    let created;
    try {
      progress(io, 'creating the key (scrypt takes a few seconds)…');
      created = createApproverKey(passphrase);
    } finally {
      passphrase.fill(0);
    }
    const bound =
      idp === undefined
        ? undefined
        : await idp.enrolWithIdp({
            ...idp,
            publicKey: created.publicKey,
            groups: opts.group,
            device: opts.device === true,
            show: (line) => writeLine(io.stderr, line),
            open: opts.openBrowser === true ? openBrowser : undefined,
          });
    const candidate: Candidate = {
      name: opts.name,
      groups: opts.group,
      publicKey: created.publicKey,
      osUser: opts.osUser ?? userInfo().username,
      slackUserId: opts.slackUserId,
      email: opts.email,
      ...(bound === undefined ? {} : { idp: { issuer: bound.issuer, subject: bound.subject, idToken: bound.idToken } }),
    };
    const endorsement: Endorsement | undefined =
      endorser === undefined ? undefined : signEndorsement(endorser, opts.endorseBy!, candidate);
    writeKeyFile(keyPath, created.encrypted);
    progress(io, viaDaemon ? 'registering with the guard daemon…' : 'registering in the approver registry…');
    let rec: ApproverRecord;
    try {
      rec = viaDaemon
        ? await enrollViaDaemon(io.env, candidate, endorsement)
        : registerApprover(regDir, candidate, endorsement);
    } catch (err) {
      rmSync(keyPath, { force: true }); // the key we just wrote is useless without a registration
      throw err;
    }
    if (opts.json === true) writeLine(io.stdout, JSON.stringify(rec));
    else {
      writeLine(
        io.stdout,
        `enrolled approver ${rec.name}${rec.endorsedBy === undefined ? ' (bootstrap approver)' : ` (endorsed by ${rec.endorsedBy})`}`,
      );
      printRecord(io, rec);
      writeLine(io.stdout, `private key (encrypted): ${keyPath}`);
    }
    return 0;
  } finally {
    endorser?.dispose();
  }
}

async function prepareIdp(env: NodeJS.ProcessEnv) {
  const [{ requireIdentity }, { refreshIdentityMetadata }, { enrolWithIdp }] = await Promise.all([
    import('../../identity/load.js'),
    import('../../identity/metadata.js'),
    import('../../identity/enrol.js'),
  ]);
  const { cfg, home } = requireIdentity(env);
  return { cfg, meta: await refreshIdentityMetadata(cfg, home), enrolWithIdp };
}

/** Only on request (--open-browser); the URL is always printed as well. */
function openBrowser(url: string): void {
  const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
}

async function enrollViaDaemon(
  env: NodeJS.ProcessEnv,
  candidate: Candidate,
  endorsement: Endorsement | undefined,
): Promise<ApproverRecord> {
  // a new connection: the one probed before the passphrase prompts may have been closed as idle
  const client = await connectIfRunning(env);
  if (client === undefined)
    throw new FailClosedError('the guard daemon stopped during the enrollment; nothing was enrolled');
  return callDaemon(client, { type: 'enroll', candidate, endorsement });
}

/** Without a daemon: the checks the registry repeats, before any passphrase is asked for. */
function checkLocally(opts: ApproverEnrollOptions, existing: { name: string }[]): void {
  if (existing.some((a) => a.name === opts.name)) throw new UsageError(`approver "${opts.name}" is already enrolled`);
  if (existing.length > 0 && opts.endorseBy === undefined) {
    throw new UsageError(
      `${existing.length} approver(s) are enrolled already, so "${opts.name}" must be endorsed by one of them`,
      {
        hint: `add --endorse-by NAME, where NAME is one of: ${existing.map((a) => a.name).join(', ')}`,
      },
    );
  }
  if (existing.length === 0 && opts.endorseBy !== undefined) {
    throw new UsageError(
      'no approver is enrolled yet: the first approver is the bootstrap approver and takes no --endorse-by',
    );
  }
}

export async function unlockEndorser(
  io: Io,
  opts: Pick<ApproverEnrollOptions, 'endorseBy' | 'endorserPassphraseFile' | 'endorserPassphraseFd'>,
  tty: boolean,
  existing: { name: string; publicKey: string }[] | undefined,
) {
  const name = opts.endorseBy!;
  const rec = existing?.find((a) => a.name === name);
  if (existing !== undefined && rec === undefined)
    throw new UsageError(`endorser "${name}" is not an enrolled approver`, {
      hint: `enrolled: ${existing.map((a) => a.name).join(', ')}`,
    });
  const encrypted = readKeyFile(approverKeyPath(io.env, name));
  const passphrase = await readPassphrase({
    passphraseFile: opts.endorserPassphraseFile,
    passphraseFd: opts.endorserPassphraseFd,
    tty,
    prompt: `Passphrase of endorsing approver ${name}: `,
    stdin: io.stdin,
    stderr: io.stderr,
  });
  try {
    progress(io, `unlocking ${name}'s key…`);
    const key = unlockApproverKey(encrypted, passphrase);
    if (rec !== undefined && key.publicKey !== rec.publicKey) {
      key.dispose();
      throw new UsageError(`the key file of "${name}" does not match ${name}'s enrolled public key`);
    }
    return key;
  } finally {
    passphrase.fill(0);
  }
}

export async function newPassphrase(
  io: Io,
  opts: Pick<ApproverEnrollOptions, 'name' | 'passphraseFile' | 'passphraseFd'>,
  tty: boolean,
): Promise<Buffer> {
  const common = {
    passphraseFile: opts.passphraseFile,
    passphraseFd: opts.passphraseFd,
    tty,
    stdin: io.stdin,
    stderr: io.stderr,
  };
  const prompt = `New passphrase for approver ${opts.name} (at least ${MIN_PASSPHRASE_BYTES} bytes): `;
  const tooShort = `the passphrase is shorter than ${MIN_PASSPHRASE_BYTES} bytes`;
  // from a file or descriptor there is no one to ask again: refuse at once
  if (opts.passphraseFile !== undefined || opts.passphraseFd !== undefined) {
    const given = await readPassphrase({ ...common, prompt });
    if (given.length >= MIN_PASSPHRASE_BYTES) return given;
    given.fill(0);
    throw new UsageError(tooShort, { hint: 'a few random words make a good passphrase' });
  }
  // on a terminal a too-short or mistyped passphrase is asked again, a few times, then refused
  for (let attempt = 1; ; attempt++) {
    const last = attempt === PROMPT_ATTEMPTS;
    const first = await readPassphrase({ ...common, prompt });
    if (first.length < MIN_PASSPHRASE_BYTES) {
      first.fill(0);
      if (last)
        throw new UsageError(`${tooShort}; nothing was enrolled`, {
          hint: 'a few random words make a good passphrase',
        });
      writeLine(io.stderr, `${tooShort}: try again (a few random words make a good one)`);
      continue;
    }
    const again = await readPassphrase({ ...common, prompt: 'Same passphrase again: ' });
    const same = again.equals(first);
    again.fill(0);
    if (same) return first;
    first.fill(0);
    if (last) throw new UsageError('the two passphrases differ; nothing was enrolled');
    writeLine(io.stderr, 'the two passphrases differ: try again');
  }
}

/** A line about slow work, for a person at a terminal (scripts reading stderr get none). */
export function progress(io: Io, text: string): void {
  if ((io.stderr as { isTTY?: boolean }).isTTY === true) writeLine(io.stderr, text);
}
