/**
 * `guard extend ID --uses N --for DURATION`: give an approved grant more uses or a later expiry
 * (decision 1087). The extension names the grant as shown (`from`) and what it becomes (`to`), is
 * signed with the approver's key like a decision, and is checked by the daemon against the policy's
 * `max_uses` / `max_ttl`; the daemon records it as `grant_extended`.
 */
import { refuseUnderAgent } from '../../approval/agent-env.js';
import { extendStatement, grantState, type SignedExtension } from '../../approval/extend.js';
import { readPassphrase } from '../../approval/passphrase.js';
import { connectDaemon } from '../../daemon/connect.js';
import { parseDuration } from '../../daemon/duration.js';
import { UsageError } from '../../errors.js';
import { visibleText } from '../../util/visible.js';
import { writeLine, type Io } from '../io.js';
import { approverKeyOf, approverName, withApproverKey } from './decide.js';
import { callDaemon, checkRequestId } from './decide-common.js';
import type { ExtendOptions } from '../specs/decide.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const uses = (n: number): string => `${n} use${n === 1 ? '' : 's'}`;

export async function extendGrantCommand(io: Io, id: string, opts: ExtendOptions): Promise<number> {
  refuseUnderAgent(io.env, 'extend a grant', 'only a human approver extends a grant, in their own terminal');
  checkRequestId(id);
  if (opts.uses === undefined && opts.for === undefined)
    throw new UsageError('give --uses N (uses left afterwards) and/or --for DURATION (valid from now)');
  const client = await connectDaemon(io.env);
  try {
    const detail = await callDaemon(client, { type: 'show', requestId: id }, false);
    const g = detail.grant;
    if (detail.view.state !== 'approved' || g === undefined || g.revoked)
      throw new UsageError(`request ${id} is ${detail.view.state}: it has no grant to extend`);
    const from = grantState(g);
    const n = opts.uses === undefined ? g.usesLeft : Number(opts.uses);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError('--uses must be a whole number of 1 or more');
    const forText = str(opts.for);
    const expiresAt =
      forText === undefined ? g.expiresAt : new Date(Date.now() + parseDuration(forText, '--for') * 1000).toISOString();
    const to = { usesLeft: n, expiresAt };
    const name = approverName(io.env, str(opts.as));
    const encrypted = await approverKeyOf(client, io.env, id, name);
    // what is signed, shown before the passphrase
    writeLine(
      io.stderr,
      `guard: extend the grant of ${id} (${visibleText(detail.view.command)}): ${uses(from.usesLeft)} until ${from.expiresAt} → ${uses(to.usesLeft)} until ${to.expiresAt}`,
    );
    const passphrase = await readPassphrase({
      passphraseFile: str(opts.passphraseFile),
      passphraseFd: opts.passphraseFd === undefined ? undefined : Number(opts.passphraseFd),
      tty: Boolean((io.stdin as { isTTY?: boolean }).isTTY),
      prompt: `passphrase of approver ${name} to extend the grant of ${id}: `,
      stdin: io.stdin,
      stderr: io.stderr,
    });
    const statement = extendStatement({
      v: 1,
      kind: 'grant_extend',
      requestId: id,
      fingerprint: detail.fingerprint,
      approver: name,
      at: new Date().toISOString(),
      from,
      to,
      ...(str(opts.reason) === undefined ? {} : { reason: str(opts.reason)! }),
    });
    const signed: SignedExtension = await withApproverKey(client, id, name, encrypted, passphrase, (key) => ({
      ...statement,
      signature: key.signBytes(statement),
    }));
    const res = await callDaemon(client, { type: 'grant_extend', signed }, false);
    writeLine(io.stderr, `guard: the grant of ${id} now has ${uses(res.grant.usesLeft)} until ${res.grant.expiresAt}`);
    if (opts.json === true) writeLine(io.stdout, JSON.stringify(res));
    return 0;
  } finally {
    client.close();
  }
}
