/**
 * Values shell completion offers for an option or argument. Commander's `choices()` both declares
 * and enforces a fixed set; `completes()` only declares it, for commands that check their values
 * themselves (`guard hook` must answer an unknown agent in the agent's blocking form, exit 2, and
 * `guard init` names the choices in its own usage error).
 */
import type { Argument, Option } from '@commander-js/extra-typings';

const declared = new WeakMap<Option | Argument, readonly string[]>();

export function completes<T extends Option | Argument>(o: T, values: readonly string[]): T {
  declared.set(o, values);
  return o;
}

/** The fixed set of values of `o`, if it has one (declared here or by commander's `choices()`). */
export function completionValues(o: Option | Argument): readonly string[] | undefined {
  return declared.get(o) ?? o.argChoices;
}
