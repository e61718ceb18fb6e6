/**
 * A ticket id in a branch name: Jira-style `ABC-123` anywhere (upper case), `abc-123` right
 * after a type folder (`feature/abc-123-x`), `#123`, `issue-123`/`gh-123`, or the GitHub
 * "branch from issue" form `123-title`. Bots' branches (dependabot, renovate) carry none.
 */
const TYPE_FOLDER = /^(?:feature|feat|fix|bugfix|hotfix|chore|task|story|bug|refactor|docs|ticket)\//i;
const NOT_A_PROJECT = new Set([
  'FEATURE',
  'FEAT',
  'FIX',
  'BUGFIX',
  'HOTFIX',
  'RELEASE',
  'CHORE',
  'WIP',
  'V',
  'PR',
  'TASK',
  'TEST',
  'BUILD',
  'UPDATE',
  'UTF',
  'SHA',
  'ISO',
  'RFC',
  'CVE',
  'HTTP',
  'TLS',
  'PY',
  'NODE',
]);

export function ticketFromBranch(branch: string): string | undefined {
  if (branch.length > 255 || /^(?:dependabot|renovate)\//.test(branch)) return undefined;
  for (const m of branch.matchAll(/(?<![A-Za-z0-9])([A-Z][A-Z0-9]{1,9})-([0-9]{1,7})(?![0-9])/g)) {
    if (!NOT_A_PROJECT.has(m[1]!)) return `${m[1]}-${m[2]}`;
  }
  const rest = branch.replace(TYPE_FOLDER, '');
  if (rest !== branch) {
    const m = /^([a-z][a-z0-9]{1,9})-([0-9]{1,7})(?![0-9])/.exec(rest);
    if (m !== null && !NOT_A_PROJECT.has(m[1]!.toUpperCase()) && !/^(?:issue|gh)$/.test(m[1]!))
      return `${m[1]!.toUpperCase()}-${m[2]}`;
  }
  const hash =
    /#([0-9]{1,7})(?![0-9])/.exec(branch) ??
    /(?:^|[/_-])(?:issue|issues|gh)[-_]?([0-9]{1,7})(?![0-9])/i.exec(branch) ??
    /^(?:[a-z]+\/)?([0-9]{1,7})-[a-z]/i.exec(branch);
  return hash === null ? undefined : `#${hash[1]}`;
}
