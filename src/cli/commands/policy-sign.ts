/**
 * `guard policy sign FILE`: an approver reviews a policy file and signs its exact bytes, so that a
 * loosening in it (disable, allow rule, replaced rule, looser default) takes effect (decision 0121).
 * The signature goes to `FILE.sig`; any later change to FILE voids it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { approverKeyPath, readKeyFile } from '../../approval/keyfile.js';
import { unlockApproverKey } from '../../approval/keys.js';
import { readPassphrase } from '../../approval/passphrase.js';
import { UsageError } from '../../errors.js';
import { policyFileStatement, SIGNATURE_SUFFIX, type PolicySignature } from '../../policy/load/signed.js';
import { writeLine, type Io } from '../io.js';
import { approverName } from './decide.js';
import type { PolicySignOptions } from '../specs/policy.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function policySign(io: Io, file: string, opts: PolicySignOptions): Promise<number> {
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the policy file ${path}: ${(err as Error).message}`);
  }
  const name = approverName(io.env, str(opts.as));
  const encrypted = readKeyFile(approverKeyPath(io.env, name));
  const statement = policyFileStatement(text);
  writeLine(io.stderr, `signing ${path} (sha256 ${statement.sha256}) as approver ${name}`);
  const passphrase = await readPassphrase({
    passphraseFile: str(opts.passphraseFile),
    passphraseFd: opts.passphraseFd === undefined ? undefined : Number(opts.passphraseFd),
    tty: Boolean((io.stdin as { isTTY?: boolean }).isTTY),
    prompt: `passphrase of approver ${name} to sign ${path}: `,
    stdin: io.stdin,
    stderr: io.stderr,
  });
  let sig: PolicySignature;
  try {
    const key = unlockApproverKey(encrypted, passphrase);
    sig = { approver: name, signature: key.signBytes(statement) };
    key.dispose();
  } finally {
    passphrase.fill(0);
  }
  writeFileSync(path + SIGNATURE_SUFFIX, `${JSON.stringify(sig)}\n`, { mode: 0o644 });
  writeLine(io.stdout, `signed: ${path}${SIGNATURE_SUFFIX}`);
  return 0;
}
