import { FailClosedError } from '../errors.js';

/** A policy file could not be read or compiled. Nothing may run under a broken policy. */
export class PolicyLoadError extends FailClosedError {
  /** Every problem found, each `file:line:col: what is wrong`. */
  readonly problems: string[];

  constructor(problems: string[], opts: { cause?: unknown } = {}) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems in the policy:\n${problems.join('\n')}`, {
      hint: 'fix the policy file (check it with `guard policy lint`); until then guard refuses to run commands',
      details: { problems },
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
    });
    this.problems = problems;
  }
}
