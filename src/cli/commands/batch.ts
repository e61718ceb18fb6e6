/**
 * `guard approve|deny --session ID`: review the open requests of one agent session together and
 * decide them with one passphrase. The requests are listed in full before the passphrase is asked
 * (what is listed is exactly what is signed: a request that arrives later is not included), and each
 * gets its own signed decision bound to its own fingerprint, which the daemon checks one by one
 * exactly as for `guard approve ID`. The signed reason names the batch, so the ledger shows which
 * approvals were given together.
 */
import { refuseUnderAgent } from '../../approval/agent-env.js';
import { approverKeyPath, readKeyFile } from '../../approval/keyfile.js';
import { unlockApproverKey, WrongPassphraseError } from '../../approval/keys.js';
import { readPassphrase } from '../../approval/passphrase.js';
import {
  batchExclusion,
  batchReason,
  batchStatements,
  isOpenView,
  sendEach,
  type BatchResult,
} from '../../approval/batch.js';
import type { SignedDecision } from '../../approval/types.js';
import type { DaemonClient } from '../../daemon/client.js';
import { connectDaemon } from '../../daemon/connect.js';
import type { RequestDetail } from '../../daemon/messages.js';
import { DeniedError, UsageError } from '../../errors.js';
import { writeLine, type Io } from '../io.js';
import { approverName, report, sendDecision } from './decide.js';
import { callDaemon } from './decide-common.js';
import { formatDetail } from './requests.js';
import type { DecideOptions } from '../specs/decide.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The open requests of one session this account may see, oldest first. */
export async function sessionRequests(client: DaemonClient, session: string): Promise<RequestDetail[]> {
  const out: RequestDetail[] = [];
  let cursor: string | undefined;
  do {
    const page = await callDaemon(client, { type: 'list', all: false, cursor }, false);
    out.push(...page.requests.filter((d) => d.view.session === session && isOpenView(d.view)));
    cursor = page.next;
  } while (cursor !== undefined);
  return out;
}

export async function decideSession(
  io: Io,
  action: 'approve' | 'deny',
  session: string,
  opts: DecideOptions,
): Promise<number> {
  refuseUnderAgent(
    io.env,
    `${action} requests`,
    'decisions come from a human approver in their own terminal or channel; the agent waits for them',
  );
  const given = str(opts.reason);
  if (action === 'deny' && given === undefined)
    throw new UsageError('guard deny needs --reason TEXT (the requester is told why)');
  let client = await connectDaemon(io.env);
  try {
    const batch = await sessionRequests(client, session);
    if (batch.length === 0)
      throw new UsageError(`no open request in session ${session}`, { hint: 'list requests with `guard requests`' });
    const expected = opts.expect === undefined ? undefined : Number(opts.expect);
    if (expected !== undefined && expected !== batch.length)
      throw new UsageError(
        `session ${session} has ${batch.length} open requests, not ${expected}; nothing was signed`,
        {
          hint: 'review them again: `guard requests`',
        },
      );
    const name = approverName(io.env, str(opts.as));
    const encrypted = readKeyFile(approverKeyPath(io.env, name));
    for (const d of batch) writeLine(io.stderr, `${formatDetail(d)}\n`);
    const ids = batch.map((d) => d.view.id);
    writeLine(io.stderr, `guard: ${action} these ${batch.length} requests of session ${session}: ${ids.join(', ')}`);
    // a request no batch may decide (a step-up approval) is named, not signed
    const excluded = batch.flatMap((d): BatchResult[] => {
      const why = batchExclusion(d, action, session);
      return why === undefined ? [] : [{ id: d.view.id, error: `not signed: ${why}` }];
    });
    const signable = batch.filter((d) => batchExclusion(d, action, session) === undefined);
    if (signable.length === 0)
      throw new DeniedError(`nothing was signed: ${excluded.map((e) => `${e.id}: ${e.error}`).join('; ')}`);
    const reason = batchReason(action, signable.length, session, given);
    const passphrase = await readPassphrase({
      passphraseFile: str(opts.passphraseFile),
      passphraseFd: opts.passphraseFd === undefined ? undefined : Number(opts.passphraseFd),
      tty: Boolean((io.stdin as { isTTY?: boolean }).isTTY),
      prompt: `passphrase of approver ${name} to ${action} ${signable.length} requests: `,
      stdin: io.stdin,
      stderr: io.stderr,
    });
    let signed: SignedDecision[];
    try {
      const key = unlockApproverKey(encrypted, passphrase);
      // one signature per request, over that request's own fingerprint
      const statements = batchStatements(signable, { action, reason, at: new Date().toISOString(), approver: name });
      signed = statements.map((st) => key.sign(st));
      key.dispose();
    } catch (err) {
      if (err instanceof WrongPassphraseError)
        await report(client, ids[0]!, name, 'wrong passphrase (approver key could not be unlocked) for a batch');
      throw err;
    } finally {
      passphrase.fill(0);
    }
    const sent = await sendEach(
      signed,
      (s) => sendDecision(io, client, s, (c) => (client = c)),
      (err) => (err as Error).message,
    );
    const results = [...sent, ...excluded];
    for (const r of results)
      writeLine(io.stderr, `guard: ${r.id}: ${r.error === undefined ? `now ${r.state}` : `refused: ${r.error}`}`);
    if (opts.json === true) writeLine(io.stdout, JSON.stringify({ session, action, results }));
    const failed = results.filter((r) => r.error !== undefined);
    if (failed.length > 0)
      throw new DeniedError(`${failed.length} of ${results.length} decisions were refused`, {
        hint: 'the others were recorded; see `guard requests`',
      });
    return 0;
  } finally {
    client.close();
  }
}
