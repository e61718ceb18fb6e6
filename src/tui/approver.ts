/**
 * The approver's signing key for one TUI session: unlocked with the passphrase once, usable for
 * a configurable window, then disposed (zeroed) so the next decision asks again. With a window of
 * 0 the key signs exactly one decision per unlock.
 */
import type { ExtendStatement, SignedExtension } from '../approval/extend.js';
import { approverKeyPath, readKeyFile } from '../approval/keyfile.js';
import { unlockApproverKey, type ApproverKey } from '../approval/keys.js';
import type { ApproverRecord, DecisionStatement, SignedDecision } from '../approval/types.js';
import { UsageError } from '../errors.js';

/** The key is locked (never unlocked, or its window is over): ask for the passphrase again. */
export class KeyLockedError extends UsageError {}

export interface SessionOptions {
  env: NodeJS.ProcessEnv;
  name: string;
  windowMs: number;
  now(): number;
  /** Enrolled approvers, when readable: the unlocked key must be the enrolled one. */
  enrolled(): ApproverRecord[] | undefined;
}

export class ApproverSession {
  private key: ApproverKey | undefined;
  private until = 0;

  constructor(private readonly opts: SessionOptions) {}

  get name(): string {
    return this.opts.name;
  }

  /** Unlock with the passphrase (zeroed here); returns the end of the unlock window (ms epoch). */
  unlock(passphrase: Buffer): number {
    try {
      const encrypted = readKeyFile(approverKeyPath(this.opts.env, this.opts.name));
      const key = unlockApproverKey(encrypted, passphrase);
      const rec = this.opts.enrolled()?.find((a) => a.name === this.opts.name);
      if (rec !== undefined && rec.publicKey !== key.publicKey) {
        key.dispose();
        throw new UsageError(`the key file of "${this.opts.name}" is not ${this.opts.name}'s enrolled key`, {
          hint: 'use the key `guard approver enroll` wrote for you, or re-enroll',
        });
      }
      this.lock();
      this.key = key;
      this.until = this.opts.now() + this.opts.windowMs;
      return this.until;
    } finally {
      passphrase.fill(0);
    }
  }

  unlockedUntil(): number | undefined {
    return this.key === undefined ? undefined : this.until;
  }

  /** Sign a decision statement, or throw KeyLockedError when the window is over. */
  sign(statement: DecisionStatement): SignedDecision {
    return this.withKey((key) => key.sign(statement));
  }

  /** Sign several decision statements with one use of the key (a batch: one unlock, even with a window of 0). */
  signAll(statements: readonly DecisionStatement[]): SignedDecision[] {
    return this.withKey((key) => statements.map((s) => key.sign(s)));
  }

  /** Sign a grant extension (decision 1087) exactly as `guard extend` does; the same window applies. */
  signExtension(statement: ExtendStatement): SignedExtension {
    return this.withKey((key) => ({ ...statement, signature: key.signBytes(statement) }));
  }

  private withKey<T>(use: (key: ApproverKey) => T): T {
    const key = this.key;
    if (key === undefined) throw new KeyLockedError('your approver key is locked: type your passphrase to sign');
    if (this.opts.windowMs > 0 && this.opts.now() >= this.until) {
      this.lock();
      throw new KeyLockedError('the unlock window is over: type your passphrase again to sign');
    }
    try {
      return use(key);
    } finally {
      if (this.opts.windowMs <= 0) this.lock();
    }
  }

  lock(): void {
    this.key?.dispose();
    this.key = undefined;
    this.until = 0;
  }
}
