/**
 * The "five-second test" fixture set, shared by every surface's tests (TUI, Slack, Teams, webhook)
 * and by scripts/screenshots.mjs: for each request, the words an approver must see in the first
 * screen / message / card to decide — the verb, the target, the environment and the risk.
 */
import type { RequestView } from '../../src/channels/types.js';

export interface FiveSecondCase {
  name: string;
  view: RequestView;
  /** Words that must be visible at once (each matched as a substring). */
  verb: string;
  target: string;
  where: string;
  risk: string;
  /** Text that must never be shown (a context value the command overrides, a raw bidi character…). */
  never?: string[];
}

const NOW = Date.parse('2026-11-22T09:00:00.000Z');

function base(over: Partial<RequestView> & { command: string }): RequestView {
  return {
    id: 'rq-5ec0f00d0001',
    state: 'pending',
    argv: ['bash', '-c', over.command],
    cwd: '/home/ana/src/infra',
    risk: 'high',
    requester: { user: 'ana', agent: 'claude-code', host: 'devbox', onBehalfOf: 'ana' },
    rules: [],
    commands: [over.command],
    context: { 'git.branch': 'main', 'git.repo': 'acme/infra' },
    createdAt: new Date(NOW - 40_000).toISOString(),
    expiresAt: new Date(NOW + 9 * 60_000).toISOString(),
    quorum: 1,
    approvals: [],
    ...over,
  };
}

const rule = (id: string, risk: RequestView['risk'], description: string, impact: string) => ({
  id,
  effect: 'approve',
  risk,
  description,
  impact,
  controls: ['A.8.32'],
});

const SCRIPT = [
  'set -euo pipefail',
  ...Array.from({ length: 20 }, (_, i) => `echo "step ${i + 1}: checking replica lag on shard ${i}"`),
  'psql "postgres://admin:[redacted:url-credentials]@db.prod.internal:5432/app" -c "DROP TABLE users CASCADE;"',
  ...Array.from({ length: 20 }, (_, i) => `echo "step ${i + 21}: archiving partition ${i}"`),
  'aws s3 rm s3://acme-backups/2026/ --recursive',
  'echo done',
].join('\n');

const BIG_SQL = `INSERT INTO audit VALUES ${Array.from({ length: 800 }, (_, i) => `(${i},'x${'y'.repeat(14)}')`).join(',')}; DROP TABLE orders;`;

const MANY = Array.from({ length: 2000 }, (_, i) => `rm -rf /tmp/cache-${i}`);

export const FIVE_SECOND: FiveSecondCase[] = [
  {
    name: 'short destructive command',
    view: base({
      command: 'rm -rf /srv/data',
      rules: [rule('fs.rm-recursive', 'high', 'Recursive delete', 'deletes /srv/data and everything under it')],
    }),
    verb: 'rm',
    target: '/srv/data',
    where: 'branch main',
    risk: 'HIGH',
  },
  {
    name: 'prod kube context set by the command',
    view: base({
      id: 'rq-5ec0f00d0002',
      risk: 'critical',
      command: 'kubectl --context prod-eu delete namespace web',
      commands: ['kubectl --context prod-eu delete namespace web'],
      context: { 'kube.context': 'dev-local', 'kube.namespace': 'default', 'git.branch': 'main' },
      rules: [
        rule('k8s.delete-namespace', 'critical', 'Deleting a Kubernetes namespace', 'deletes every resource in it'),
      ],
    }),
    verb: 'delete',
    target: 'web',
    where: 'prod-eu',
    risk: 'CRIT',
    never: ['dev-local', 'kube.namespace: default'],
  },
  {
    name: 'long mixed script with reason and ticket',
    view: base({
      id: 'rq-5ec0f00d0003',
      risk: 'critical',
      command: SCRIPT,
      commands: [
        `bash -c ${SCRIPT.slice(0, 40)}`,
        'psql "postgres://admin:[redacted:url-credentials]@db.prod.internal:5432/app" -c "DROP TABLE users CASCADE;"',
        'aws s3 rm s3://acme-backups/2026/ --recursive',
      ],
      context: { 'aws.profile': 'prod', 'aws.region': 'eu-west-1', 'git.branch': 'release' },
      reason: 'drop the legacy users table and its backups after the migration (INC-7781)',
      ticket: 'OPS-2231',
      rules: [
        rule('data.drop-table', 'critical', 'Destructive SQL', 'drops table users on db.prod.internal'),
        rule('cloud.s3-delete', 'high', 'Deleting S3 objects', 'deletes every object under s3://acme-backups/2026/'),
      ],
    }),
    // the first screen shows the matched rules' impact ("drops table users"), the script comes after
    verb: 'drops table users',
    target: 's3://acme-backups/2026/',
    where: 'aws prod',
    risk: 'CRIT',
  },
  {
    name: 'bidi trick',
    view: base({
      id: 'rq-5ec0f00d0004',
      command: 'rm -rf /home/ana/\u202egpj.exe',
      commands: ['rm -rf /home/ana/\u202egpj.exe'],
      rules: [rule('fs.rm-recursive', 'high', 'Recursive delete', 'deletes /home/ana/\u202egpj.exe')],
    }),
    verb: 'rm',
    target: '<U+202E>gpj.exe',
    where: 'branch main',
    risk: 'HIGH',
    never: ['\u202e'],
  },
  {
    name: '20 KB argument',
    view: base({
      id: 'rq-5ec0f00d0005',
      risk: 'critical',
      command: `psql -h db.prod.internal -c "${BIG_SQL}"`,
      commands: [`psql -h db.prod.internal -c "${BIG_SQL}"`],
      rules: [rule('data.drop-table', 'critical', 'Destructive SQL', `runs on db.prod.internal: ${BIG_SQL}`)],
    }),
    verb: 'psql',
    target: 'DROP TABLE orders',
    where: 'db.prod.internal',
    risk: 'CRIT',
  },
  {
    name: '2,000 simple commands',
    view: base({
      id: 'rq-5ec0f00d0006',
      command: MANY.join('; '),
      commands: MANY,
      rules: MANY.map((c) =>
        rule('fs.rm-recursive', 'high', 'Recursive delete', `deletes ${c.slice(7)} and everything under it`),
      ),
    }),
    verb: 'rm',
    target: '/tmp/cache-0',
    where: 'branch main',
    risk: 'HIGH',
  },
];

export { NOW as FIVE_SECOND_NOW };
