/**
 * `Examples:` for the help of commands whose spec declares none, keyed by command path. Each line
 * is a real invocation (test/cli/generate.test.ts parses every one with guard's own program).
 */
export const EXAMPLES: Record<string, string[]> = {
  approve: [
    'guard approve rq-1a2b3c4d5e6f',
    'guard approve                                  # no id: opens the terminal UI',
  ],
  deny: ["guard deny rq-1a2b3c4d5e6f --reason 'touches production; use staging'"],
  ask: ["guard ask rq-1a2b3c4d5e6f --question 'which ticket is this for?'"],
  requests: ['guard requests', 'guard requests --all --json'],
  show: ['guard show rq-1a2b3c4d5e6f --json'],
  'daemon start': ['guard daemon start', 'guard daemon start --foreground --policy ./policy.yaml'],
  'daemon status': ['guard daemon status --json'],
  'ledger export': ['guard ledger export --out evidence.tar'],
  'ledger verify': ['guard ledger verify evidence.tar --pubkey "$GUARD_HOME/ledger.pub"'],
  'ledger pubkey': ['guard ledger pubkey --out "$GUARD_HOME/ledger.pub"'],
  'evidence pack': ['guard evidence pack evidence.tar --out pack/ --pubkey "$GUARD_HOME/ledger.pub"'],
  doctor: ['guard doctor', 'guard doctor --json'],
};

/** The help text to add after a command's own, or undefined when it has no entry. */
export function examplesHelp(path: string): string | undefined {
  const lines = EXAMPLES[path];
  return lines === undefined ? undefined : `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}
