/**
 * `guard tui` (and `guard approve` with no id): check that a human at a terminal is asking, find
 * the approver, then load the Ink UI (React and Ink are only loaded here).
 */
import { existsSync } from 'node:fs';
import { refuseUnderAgent } from '../../approval/agent-env.js';
import { approverKeyPath } from '../../approval/keyfile.js';
import { parseDuration } from '../../daemon/duration.js';
import { UsageError } from '../../errors.js';
import type { Risk } from '../../policy/types.js';
import type { Io } from '../io.js';
import { approverName } from './decide.js';
import type { DecideOptions } from '../specs/decide.js';
import type { TuiOptions } from '../specs/tui.js';

/** An unlock window longer than this would make the passphrase a formality. */
export const MAX_UNLOCK_WINDOW_MS = 8 * 3600 * 1000;

export function parseUnlockWindow(text: string): number {
  if (/^0+(ms|s|m|h)?$/.test(text.trim())) return 0;
  const ms = Math.round(parseDuration(text, '--unlock-window') * 1000);
  if (ms > MAX_UNLOCK_WINDOW_MS)
    throw new UsageError(`--unlock-window ${text} is longer than 8h`, {
      hint: 'a long window makes the passphrase a formality; 10m to 1h is usual',
    });
  return ms;
}

const FRESH: readonly string[] = ['low', 'medium', 'high', 'critical', 'none'];

/** Options of `guard approve ID` that mean nothing to the UI: given without an id, the id is missing. */
const ID_ONLY = ['reason', 'passphraseFile', 'passphraseFd', 'json'] as const;
const FLAG: Record<(typeof ID_ONLY)[number], string> = {
  reason: '--reason',
  passphraseFile: '--passphrase-file',
  passphraseFd: '--passphrase-fd',
  json: '--json',
};

/** `guard tui`'s options, or `guard approve`'s given without an id (the id-only ones must be absent). */
type TuiCommandOptions = TuiOptions & Partial<Pick<DecideOptions, (typeof ID_ONLY)[number]>>;

export async function tuiCommand(io: Io, opts: TuiCommandOptions): Promise<number> {
  const idOnly = ID_ONLY.find((k) => opts[k] !== undefined);
  if (idOnly !== undefined) {
    throw new UsageError(`${FLAG[idOnly]} needs a request id: guard approve ID ${FLAG[idOnly]} …`, {
      hint: 'without an id, guard approve opens the terminal UI (list the ids with `guard requests`)',
    });
  }
  const windowMs = parseUnlockWindow(typeof opts.unlockWindow === 'string' ? opts.unlockWindow : '10m');
  const fresh = opts.freshPassphrase ?? 'high';
  if (typeof fresh !== 'string' || !FRESH.includes(fresh))
    throw new UsageError(`--fresh-passphrase ${JSON.stringify(fresh)} is not a risk`, {
      hint: `use one of: ${FRESH.join(', ')}`,
    });
  refuseUnderAgent(io.env, 'open the approver UI', 'approvals come from a human in their own terminal');
  const stdin = io.stdin as NodeJS.ReadStream;
  const stdout = io.stdout as NodeJS.WriteStream;
  if (stdin.isTTY !== true || stdout.isTTY !== true) {
    throw new UsageError('the approver UI needs a terminal (stdin and stdout are not one)', {
      hint: 'in scripts use `guard requests` to list and `guard approve ID --passphrase-fd N` to decide',
    });
  }
  const hub = 'hub' in opts && typeof opts.hub === 'string' ? opts.hub : undefined;
  if (hub !== undefined && !/^https?:\/\/[^\s/]+/.test(hub))
    throw new UsageError(`--hub ${JSON.stringify(hub)} is not an http(s) URL`, {
      hint: 'give the hub URL, e.g. https://hub.example:8443',
    });
  const name = approverName(io.env, typeof opts.as === 'string' ? opts.as : undefined);
  const keyPath = approverKeyPath(io.env, name);
  if (!existsSync(keyPath)) {
    throw new UsageError(`no approver key for "${name}" at ${keyPath}`, {
      hint: 'enroll with `guard approver enroll`, or set GUARD_APPROVER_HOME to where your key lives',
    });
  }
  // Ink draws only the final frame, and its colour detection turns colours off, when they believe
  // they run in CI (both read CI / CONTINUOUS_INTEGRATION once, when Ink loads). This UI opens only
  // on a real terminal (checked above), so it is interactive whatever those say: hide them from Ink
  // before it loads. NO_COLOR is still honoured.
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) delete process.env[k];
  const { runTui } = await import('../../tui/run.js');
  return runTui({
    env: io.env,
    stdin,
    stdout,
    stderr: io.stderr as NodeJS.WriteStream,
    approver: name,
    unlockWindowMs: windowMs,
    freshPassphraseFrom: fresh as Risk | 'none',
    hub: hub?.replace(/\/+$/, ''),
  });
}
