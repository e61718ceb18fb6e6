/**
 * `guard requests` without commander: a human or an agent checking what waits for approval should
 * see the first page in about the time Node itself takes to start, and loading the full CLI
 * (commander and every command's declaration) costs more than the listing. This parser accepts
 * exactly the well-formed forms of `guard requests`' options (`--json`, `--all`, in any order,
 * repeated); anything else (help, an unknown option, an argument) returns undefined and the full
 * CLI handles it, with its own messages and exit codes. test/cli/fast-requests.test.ts checks that
 * both parsers agree and that both paths print the same bytes.
 */
import { describeError } from '../errors.js';
// static: one import from src/main.ts loads the whole path at once, not in two rounds
import { listRequests } from './commands/requests.js';
import type { Io } from './io.js';
import { report } from './report.js';
import type { RequestsOptions } from './specs/requests.js';

/** Parse the arguments after `requests`; undefined when the full CLI must decide. */
export function parseRequestsArgs(args: readonly string[]): RequestsOptions | undefined {
  const opts: RequestsOptions = {};
  for (const a of args) {
    if (a === '--json') opts.json = true;
    else if (a === '--all') opts.all = true;
    else return undefined;
  }
  return opts;
}

/** Run `guard requests` if the arguments are the plain, well-formed kind; undefined otherwise. */
export async function fastRequests(args: readonly string[], io: Io): Promise<number | undefined> {
  const opts = parseRequestsArgs(args);
  if (opts === undefined) return undefined;
  try {
    return await listRequests(io, opts);
  } catch (err) {
    // as the full CLI does (src/cli/run.ts)
    report(io, err, false);
    return describeError(err).exitCode;
  }
}
