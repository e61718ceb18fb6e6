/** One line of `guard init` / `guard doctor` output: what was checked, how it went, how to fix it. */
import { writeLine } from '../../cli/io.js';

export type Status = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: Status;
  detail: string;
  /** What to do about a warn or fail. */
  hint?: string | undefined;
}

export function printChecks(out: NodeJS.WritableStream, checks: Check[]): void {
  const width = Math.max(...checks.map((c) => c.name.length), 6);
  for (const c of checks) {
    const indent = ' '.repeat(8 + width);
    writeLine(out, `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail.split('\n').join(`\n${indent}`)}`);
    if (c.hint !== undefined && c.status !== 'ok') writeLine(out, `${indent}fix: ${c.hint}`);
  }
}

export function failed(checks: Check[]): number {
  return checks.filter((c) => c.status === 'fail').length;
}

/** The message of anything thrown, with the hint of a GuardError. */
export function errorText(err: unknown): { message: string; hint: string | undefined } {
  const e = err as { message?: unknown; hint?: unknown };
  return {
    message: typeof e.message === 'string' ? e.message : String(err),
    hint: typeof e.hint === 'string' ? e.hint : undefined,
  };
}
