/**
 * `guard daemon start --foreground` without commander: every daemon start runs it (the launcher
 * spawns it, src/daemon/launch.ts), and building the full CLI would add commander and every
 * command's declaration to the daemon's start-up (decision 0041). This parser accepts exactly the
 * well-formed forms of that command's options; anything else (help, an unknown or malformed flag,
 * no --foreground) returns undefined and the full CLI handles it, with its own messages and exit
 * codes. test/cli/fast-daemon.test.ts checks that both parsers agree.
 */
import { describeError } from '../errors.js';
import { runForeground, startArgs } from './commands/daemon-foreground.js';
import { takeValued } from './fast-options.js';
import type { Io } from './io.js';
import { report } from './report.js';
import type { DaemonStartOptions } from './specs/daemon.js';

/** Options taking a value, by long name → the key commander stores it under. */
const VALUED: Record<string, 'policy' | 'socketMode'> = {
  '--policy': 'policy',
  '--socket-mode': 'socketMode',
};

/** Parse the arguments after `daemon`; undefined when the full CLI must decide. */
export function parseForegroundArgs(args: readonly string[]): DaemonStartOptions | undefined {
  if (args[0] !== 'start') return undefined;
  const opts: DaemonStartOptions = {};
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '--foreground') {
      opts.foreground = true;
      continue;
    }
    const one: { policy?: string; socketMode?: string } = {};
    const next = takeValued(args, i, VALUED, one);
    if (next === undefined) return undefined;
    if (one.policy !== undefined) opts.policy = [...(opts.policy ?? []), one.policy];
    if (one.socketMode !== undefined) opts.socketMode = one.socketMode;
    i = next;
  }
  return opts.foreground === true ? opts : undefined;
}

/** Run the daemon in this process if the arguments are the plain, well-formed kind; undefined otherwise. */
export async function fastDaemon(args: readonly string[], io: Io, loaded?: string): Promise<number | undefined> {
  const opts = parseForegroundArgs(args);
  if (opts === undefined) return undefined;
  try {
    const { policyFiles, mode } = startArgs(io, opts);
    return await runForeground(io, policyFiles, mode, loaded);
  } catch (err) {
    report(io, err, false);
    return describeError(err).exitCode;
  }
}
