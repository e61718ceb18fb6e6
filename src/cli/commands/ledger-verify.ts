import { closeSync, existsSync, openSync } from 'node:fs';
import { encodeBase64 } from '../../ledger/b64.js';
import { verifyBundleFile } from '../../ledger/bundle.js';
import { TrustAnchorError, VerifyFailedError } from '../../ledger/errors.js';
import { loadPinnedKey, readOrAnchorError, VERIFY_USAGE, verifyLedgerDb } from '../../ledger/local.js';
import type { VerifierKey } from '../../ledger/note.js';
import { formatState, parseState } from '../../ledger/state.js';
import type { Anchor, VerifyResult } from '../../ledger/verify.js';
import { writeLine, type Io } from '../io.js';
import { writeFileAtomic } from './ledger-export.js';
import { requireWitnesses, loadWitnesses } from './ledger-witness.js';
import type { LedgerVerifyOptions } from '../specs/ledger.js';

const usage = VERIFY_USAGE;

/** The bundle is streamed, not read: only check here that it can be opened. */
function checkReadable(path: string, what: string): void {
  try {
    closeSync(openSync(path, 'r'));
  } catch (err) {
    throw new TrustAnchorError(`cannot read ${what} ${path}: ${(err as Error).message}`, { hint: usage });
  }
}

function loadTrust(opts: LedgerVerifyOptions): VerifierKey {
  if (typeof opts.pubkey !== 'string')
    throw new TrustAnchorError('--pubkey FILE is required: the genesis key you pinned', { hint: usage });
  return loadPinnedKey(opts.pubkey);
}

function loadState(path: string | undefined, trusted: VerifierKey): Anchor[] {
  if (path === undefined || !existsSync(path)) return [];
  const st = parseState(readOrAnchorError(path, 'the state file').toString('latin1'));
  if (typeof st === 'string') throw new TrustAnchorError(`${path}: ${st}`);
  if (st.origin !== trusted.name)
    throw new TrustAnchorError(`${path} is the state of ledger ${st.origin}, not ${trusted.name}`);
  return [{ label: `the state file ${path}`, size: st.size, root: st.root }];
}

export async function ledgerVerify(io: Io, inputs: string[], opts: LedgerVerifyOptions): Promise<number> {
  const stray = inputs.filter((a) => a.startsWith('-'));
  if (stray.length > 0) throw new TrustAnchorError(`unknown option ${stray[0]}`, { hint: usage });
  const db = typeof opts.db === 'string' ? opts.db : undefined;
  if ((db === undefined) === (inputs.length !== 1))
    throw new TrustAnchorError('give exactly one of BUNDLE or --db PATH', { hint: usage });
  const trusted = loadTrust(opts);
  const statePath = typeof opts.state === 'string' ? opts.state : undefined;
  const anchors = loadState(statePath, trusted);
  const witnesses = loadWitnesses(opts.witness, usage);
  let result: VerifyResult;
  if (db !== undefined) {
    result = await verifyLedgerDb(db, trusted, anchors);
  } else {
    const path = inputs[0]!;
    checkReadable(path, 'the bundle');
    // approval records are kept as they pass (copies: the reader reuses its buffers) and their
    // step-up proofs re-checked once the whole bundle verified
    const approvals: Buffer[] = [];
    const seqs: number[] = [];
    result = verifyBundleFile(path, trusted, anchors, (r, bytes) => {
      if (r.type !== 'approval') return;
      approvals.push(Buffer.from(bytes));
      seqs.push(r.seq);
    });
    await stepUpVerdict(approvals, seqs);
  }
  const witnessed = requireWitnesses(result, witnesses);
  if (statePath !== undefined)
    writeFileAtomic(
      statePath,
      Buffer.from(formatState({ origin: result.origin, size: result.size, root: result.root })),
    );
  const summary = {
    ok: true,
    origin: result.origin,
    size: result.size,
    root: encodeBase64(result.root),
    checkpointsVerified: result.checkpointsVerified,
    keyRotations: result.keyRotations,
    ...(witnessed.length > 0 ? { witnessed } : {}),
  };
  if (opts.json === true) writeLine(io.stdout, JSON.stringify(summary));
  else {
    writeLine(
      io.stdout,
      `intact: ${result.size} records of ${result.origin}, ${result.checkpointsVerified} checkpoint(s) verified, ${result.keyRotations} key rotation(s)`,
    );
    writeLine(io.stdout, `root ${summary.root}`);
    for (const w of witnessed) writeLine(io.stdout, `cosigned by ${w.witness} up to size ${w.size}`);
    if (statePath !== undefined) writeLine(io.stdout, `state saved to ${statePath}`);
  }
  return 0;
}

/** Fails verification at the first approval whose step-up proof does not re-check offline. */
async function stepUpVerdict(records: Buffer[], seqs?: number[]): Promise<void> {
  const { firstStepUpFailure } = await import('../../identity/step-up.js');
  const bad = await firstStepUpFailure(records, seqs);
  if (bad !== undefined)
    throw new VerifyFailedError(
      `record ${bad.seq}: the step-up login of this approval does not verify: ${bad.reason}`,
      {
        details: { seq: bad.seq },
      },
    );
}
