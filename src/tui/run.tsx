/**
 * Entry of the approver terminal (loaded lazily: `guard exec` never loads React or Ink).
 */
import { render } from 'ink';
import { loadApprovers } from '../approval/registry.js';
import { guardPaths } from '../config/paths.js';
import { checkSocketPath } from '../daemon/runtime.js';
import { App } from './app.js';
import { ApproverSession } from './approver.js';
import { DaemonBackend } from './backend.js';
import { HubBackend, hubLogin } from './hub-backend.js';
import { approverKeyPath, readKeyFile } from '../approval/keyfile.js';
import { unlockApproverKey } from '../approval/keys.js';
import { readPassphrase } from '../approval/passphrase.js';
import { DaemonLink } from './link.js';
import { initialState } from './model.js';
import { colorEnabled, makeTheme } from './theme.js';
import type { Risk } from '../policy/types.js';

export interface TuiOptions {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  approver: string;
  unlockWindowMs: number;
  /** Approvals at or above this risk always ask for the passphrase (default high). */
  freshPassphraseFrom?: Risk | 'none' | undefined;
  /** `guard tui --hub URL`: the fleet's requests from the hub (decision 1049). */
  hub?: string | undefined;
}

/** The passphrase once, before the UI opens: one signature logs in to the hub; the key is then disposed. */
async function loginToHub(opts: TuiOptions, now: number): Promise<string> {
  const passphrase = await readPassphrase({
    tty: true,
    prompt: `passphrase of approver ${opts.approver} to log in to ${opts.hub!}: `,
    stdin: opts.stdin,
    stderr: opts.stderr,
  });
  const key = unlockApproverKey(readKeyFile(approverKeyPath(opts.env, opts.approver)), passphrase);
  passphrase.fill(0);
  try {
    return await hubLogin(opts.hub!, key, now);
  } finally {
    key.dispose();
  }
}

const ALT_SCREEN_ON = '\u001b[?1049h';
const ALT_SCREEN_OFF = '\u001b[?1049l';

export async function runTui(opts: TuiOptions): Promise<number> {
  const paths = guardPaths(opts.env);
  if (opts.hub === undefined) checkSocketPath(paths.socket);
  const now = () => Date.now();
  const session = new ApproverSession({
    env: opts.env,
    name: opts.approver,
    windowMs: opts.unlockWindowMs,
    now,
    enrolled: () => {
      try {
        return loadApprovers(paths.approversDir);
      } catch {
        return undefined; // not readable by this account: the daemon checks the key anyway
      }
    },
  });
  const backend =
    opts.hub === undefined
      ? new DaemonBackend(new DaemonLink({ socket: paths.socket, now }), session, now)
      : new HubBackend(opts.hub, await loginToHub(opts, now()), session, now);
  const initial = initialState({
    approver: opts.approver,
    unlockWindowMs: opts.unlockWindowMs,
    now: now(),
    freshPassphraseFrom: opts.freshPassphraseFrom,
  });
  opts.stdout.write(ALT_SCREEN_ON);
  // leave the alternate screen even when the process is ended by a signal
  const restore = () => opts.stdout.write(ALT_SCREEN_OFF);
  process.once('exit', restore);
  try {
    const instance = render(
      <App backend={backend} initial={initial} theme={makeTheme(colorEnabled(opts.env))} now={now} />,
      {
        stdin: opts.stdin,
        stdout: opts.stdout,
        stderr: opts.stderr,
        exitOnCtrlC: false,
        patchConsole: false,
      },
    );
    await instance.waitUntilExit();
  } finally {
    backend.stop();
    process.off('exit', restore);
    restore();
  }
  return 0;
}
