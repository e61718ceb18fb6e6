/**
 * Unclean-shutdown detection: each writer process leaves `<db>.writers/<pid>.<random>` while it has the
 * ledger open. A file whose process no longer exists means that writer died without closing.
 */
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class WriterSentinel {
  private constructor(private readonly file: string) {}

  /** Register this process; reports whether an earlier writer died without closing. */
  static acquire(dbPath: string): { sentinel: WriterSentinel; unclean: boolean } {
    const dir = `${dbPath}.writers`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    let unclean = false;
    for (const name of readdirSync(dir)) {
      const m = /^([1-9][0-9]*)\.[0-9a-f]{16}$/.exec(name);
      const pid = m === null ? 0 : Number(m[1]);
      if (pid === 0 || (pid !== process.pid && !alive(pid))) {
        unclean = true;
        try {
          unlinkSync(join(dir, name));
        } catch {
          // another opener removed it first
        }
      }
    }
    const file = join(dir, `${process.pid}.${randomBytes(8).toString('hex')}`);
    writeFileSync(file, '');
    return { sentinel: new WriterSentinel(file), unclean };
  }

  release(): void {
    try {
      unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}
