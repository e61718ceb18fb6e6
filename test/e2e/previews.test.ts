/**
 * Effect previews end to end with the real daemon (decision 1084): a held `terraform apply` shows
 * the plan of a stand-in terraform (Debian has none), a destructive `psql` statement the row count
 * of the same WHERE against a real PostgreSQL (nothing deleted before the approval), a force-push
 * the commits it would drop, `rm -r` the file count and size. The request records the preview's
 * hash; a preview that fails or hangs says so and the request is held and decided as ever.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlockApproverKey } from '../../src/approval/keys.js';
import { DaemonClient } from '../../src/daemon/client.js';
import { ask } from '../../src/daemon/replies.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { Rig } from '../daemon/helpers.js';
import { FAKE_BIN } from '../preview/helpers.js';
const POLICY = `version: 1
default: allow
rules:
  - id: p.tf
    description: terraform changes infrastructure
    effect: approve
    match: { program: terraform, any_arg: [apply, destroy] }
  - id: p.sql
    description: psql needs a human
    effect: approve
    match: { program: psql }
  - id: p.push
    description: git push needs a human
    effect: approve
    match: { program: git, any_arg: [push] }
  - id: p.kube
    description: kubectl apply needs a human
    effect: approve
    match: { program: kubectl, any_arg: [apply] }
  - id: p.rm
    description: rm needs a human
    effect: approve
    match: { program: rm }
  - id: p.helm
    description: helm releases need a human
    effect: approve
    match: { program: helm, any_arg: [upgrade, install] }
`;
const withFakes = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: `${FAKE_BIN}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
  ...extra,
});

interface Preview {
  kind: string;
  title: string;
  status: string;
  text: string;
  label: string;
  sha256: string;
}

async function held(rig: Rig, argv: string[], cwd: string) {
  const run = rig.spawnGuard(['exec', '--', ...argv], { cwd });
  const [, id] = await run.waitFor(/request (rq-[0-9a-f]{12}) is waiting/);
  const shown = await rig.guard(['show', id!, '--json']);
  expect(shown.code).toBe(0);
  const detail = JSON.parse(shown.stdout) as { view: { preview?: Preview } };
  const text = await rig.guard(['show', id!]);
  return { run, id: id!, preview: detail.view.preview, text: text.stdout };
}

async function recorded(rig: Rig, id: string): Promise<Record<string, unknown> | undefined> {
  const ledger = await rig.ledger();
  const r = ledger.find((x) => x.type === 'request' && x.payload['requestId'] === id);
  return r?.payload['preview'] as Record<string, unknown> | undefined;
}

/** A daemon with the stand-in tools on its PATH and one approver, for one describe block. */
function daemonRig(extra: NodeJS.ProcessEnv = {}): Rig {
  const rig = new Rig(POLICY, withFakes(extra));
  beforeAll(async () => {
    await rig.startDaemon();
    await rig.enroll('alice', ['ops']);
  });
  afterAll(() => rig.cleanup());
  return rig;
}

describe('effect previews', () => {
  const rig = daemonRig();

  it('terraform apply: the plan is shown, its hash recorded, and nothing changes before the approval', async () => {
    const dir = mkdtempSync(join(rig.home, 'tf-'));
    writeFileSync(join(dir, 'desired'), 'web\ndb\n');
    writeFileSync(join(dir, 'state'), 'legacy\n');
    const token = ['gh', 'p_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'].join('');
    writeFileSync(join(dir, 'secret'), token);
    const h = await held(rig, ['terraform', 'apply', '-auto-approve'], dir);
    expect(h.preview).toMatchObject({ kind: 'terraform-plan', status: 'ok', title: 'terraform plan' });
    expect(h.preview!.text).toContain('Plan: 2 to add, 0 to change, 1 to destroy.');
    expect(h.preview!.text).toMatch(/saved plan sha256: [0-9a-f]{64}/);
    expect(h.preview!.text).not.toContain(token); // redacted like everything else
    expect(h.text).toContain('preview   terraform plan (ok;');
    expect(h.text).toContain('  - destroy legacy');
    expect(readFileSync(join(dir, 'state'), 'utf8')).toBe('legacy\n');
    expect(await recorded(rig, h.id)).toEqual({ kind: 'terraform-plan', status: 'ok', sha256: h.preview!.sha256 });

    expect((await rig.approve(h.id, 'alice')).code).toBe(0);
    expect((await h.run.done).code).toBe(0);
    expect(readFileSync(join(dir, 'state'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['db', 'web']);
  });

  it('terraform destroy previews the destroy plan; apply of a saved plan shows that plan', async () => {
    const dir = mkdtempSync(join(rig.home, 'tf-'));
    writeFileSync(join(dir, 'state'), 'a\nb\nc\n');
    const d = await held(rig, ['terraform', 'destroy', '-auto-approve'], dir);
    expect(d.preview!.text).toContain('Plan: 0 to add, 0 to change, 3 to destroy.');
    await rig.guard(['revoke', d.id]);
    await d.run.done;

    writeFileSync(join(dir, 'desired'), 'a\nb\nc\nd\n');
    execFileSync(join(FAKE_BIN, 'terraform'), ['plan', '-out=saved.plan'], { cwd: dir });
    const s = await held(rig, ['terraform', 'apply', 'saved.plan'], dir);
    expect(s.preview).toMatchObject({ kind: 'terraform-plan', status: 'ok' });
    expect(s.preview!.text).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    await rig.guard(['revoke', s.id]);
    await s.run.done;
  });

  it('git push --force: the commits it would drop, as of the last fetch', async () => {
    const dir = mkdtempSync(join(rig.home, 'git-'));
    const git = (...a: string[]) =>
      execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...a], {
        cwd: join(dir, 'work'),
        encoding: 'utf8',
      });
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', join(dir, 'remote.git')]);
    execFileSync('git', ['clone', '-q', join(dir, 'remote.git'), join(dir, 'work')], { stdio: 'ignore' });
    git('checkout', '-q', '-b', 'main');
    for (const m of ['base', 'second change', 'third change']) git('commit', '-q', '--allow-empty', '-m', m);
    git('push', '-q', 'origin', 'main');
    git('reset', '-q', '--hard', 'HEAD~2');
    const h = await held(rig, ['git', 'push', '--force', 'origin', 'main'], join(dir, 'work'));
    expect(h.preview).toMatchObject({ kind: 'git-push-drops', status: 'ok' });
    expect(h.preview!.text).toMatch(/^force-push of main to origin\/main drops 2 commit\(s\)/);
    expect(h.preview!.text).toContain('third change');
    expect(h.preview!.text).toContain('second change');
    expect(h.preview!.text).not.toContain('base');
    await rig.guard(['revoke', h.id]);
    await h.run.done;
  });

  it('rm -r: file count and size under the target, symlinks not followed', async () => {
    const dir = mkdtempSync(join(rig.home, 'rm-'));
    mkdirSync(join(dir, 'tree', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'tree', 'a'), 'x'.repeat(100));
    writeFileSync(join(dir, 'tree', 'sub', 'b'), 'y'.repeat(50));
    execFileSync('ln', ['-s', '/etc', join(dir, 'tree', 'etc-link')]);
    const h = await held(rig, ['rm', '-rf', 'tree', 'gone'], dir);
    expect(h.preview).toMatchObject({ kind: 'rm-tree', status: 'ok' });
    expect(h.preview!.text).toContain(
      `${join(dir, 'tree')}: 2 file(s), 2 directories, 1 symlink(s) (not followed), 150 bytes`,
    );
    expect(h.preview!.text).toContain(`${join(dir, 'gone')}: does not exist`);
    await rig.guard(['revoke', h.id]);
    await h.run.done;
  });

  it('an approval binds the preview: one naming no preview or another one is refused and recorded', async () => {
    const dir = mkdtempSync(join(rig.home, 'rm-'));
    mkdirSync(join(dir, 'keep'));
    const h = await held(rig, ['rm', '-r', 'keep'], dir);
    const detail = JSON.parse((await rig.guard(['show', h.id, '--json'])).stdout) as { fingerprint: string };
    const encrypted = readFileSync(join(rig.env['GUARD_APPROVER_HOME']!, 'alice.key'), 'utf8');
    const key = unlockApproverKey(encrypted, Buffer.from(readFileSync(rig.passFile('alice'), 'utf8').trimEnd()));
    const c = await DaemonClient.connect(join(rig.env['GUARD_HOME']!, 'run', 'guard.sock'));
    const base = { v: 1 as const, requestId: h.id, fingerprint: detail.fingerprint, action: 'approve' as const };
    try {
      for (const preview of [undefined, 'e'.repeat(64)]) {
        const signed = key.sign({ ...base, at: new Date().toISOString(), approver: 'alice', preview });
        await expect(ask(c, { type: 'decide', signed })).rejects.toThrow(/effect preview/);
      }
    } finally {
      c.close();
      key.dispose();
    }
    const ledger = await rig.ledger();
    const refused = ledger.filter((x) => x.type === 'approval_refused' && x.payload['requestId'] === h.id);
    expect(refused.map((x) => x.payload['code'])).toEqual(['wrong-preview', 'wrong-preview']);
    expect(existsSync(join(dir, 'keep'))).toBe(true);

    // the CLI shows the preview and signs its hash: that approval counts and names the preview
    expect((await rig.approve(h.id, 'alice')).code).toBe(0);
    expect((await h.run.done).code).toBe(0);
    expect(existsSync(join(dir, 'keep'))).toBe(false);
    const approval = (await rig.ledger()).find((x) => x.type === 'approval' && x.payload['requestId'] === h.id);
    expect(approval?.payload['preview']).toBe(h.preview!.sha256);
  });

  it('kubectl apply: kubectl diff of the same files and context', async () => {
    const dir = mkdtempSync(join(rig.home, 'kube-'));
    writeFileSync(join(dir, 'live.yaml'), 'replicas: 2\n');
    writeFileSync(join(dir, 'app.yaml'), 'replicas: 5\n');
    const h = await held(rig, ['kubectl', 'apply', '-f', 'app.yaml'], dir);
    expect(h.preview).toMatchObject({ kind: 'kubectl-diff', status: 'ok', title: 'kubectl diff' });
    expect(h.preview!.text).toContain('-replicas: 2');
    expect(h.preview!.text).toContain('+replicas: 5');
    expect(readFileSync(join(dir, 'live.yaml'), 'utf8')).toBe('replicas: 2\n');
    await rig.guard(['revoke', h.id]);
    await h.run.done;
  });

  it('a compound command gets no preview run, and says so', async () => {
    const dir = mkdtempSync(join(rig.home, 'c-'));
    const h = await held(rig, ['bash', '-c', 'cd /tmp && rm -rf x'], dir);
    expect(h.preview).toMatchObject({ status: 'skipped' });
    expect(h.preview!.text).toMatch(/not one plain program/);
    await rig.guard(['revoke', h.id]);
    await h.run.done;
  });
});

describe.skipIf(postgresSkipReason())('effect previews: SQL row count against PostgreSQL', () => {
  const rig = new Rig(POLICY, withFakes());
  let pg: Postgres;
  beforeAll(async () => {
    pg = await startPostgres();
    await rig.startDaemon();
    await rig.enroll('alice', ['ops']);
  }, 120_000);
  afterAll(async () => {
    await rig.cleanup();
    await pg?.destroy();
  });
  /** A table of its own for each test (any order, any subset): 30 rows, every third one `old`. */
  const fresh = (table: string): void =>
    void pg.sql(
      `create table ${table} (id int, kind text); insert into ${table} select g, case when g % 3 = 0 then 'old' else 'new' end from generate_series(1, 30) g`,
    );

  it('DELETE: the count of the same WHERE in a read-only transaction, nothing deleted before the approval', async () => {
    fresh('items');
    const h = await held(rig, ['psql', pg.url, '-c', "DELETE FROM items WHERE kind = 'old'"], rig.home);
    expect(h.preview).toMatchObject({ kind: 'sql-count', status: 'ok', title: 'rows affected' });
    expect(h.preview!.text).toMatch(/^DELETE would remove 10 row\(s\) of items \(counted in a read-only transaction/);
    expect(h.preview!.text).not.toContain(pg.password);
    expect(pg.sql('select count(*) from items').trim()).toBe('30');
    expect(await recorded(rig, h.id)).toMatchObject({ kind: 'sql-count', sha256: h.preview!.sha256 });
    expect((await rig.approve(h.id, 'alice')).code).toBe(0);
    expect((await h.run.done).code).toBe(0);
    expect(pg.sql('select count(*) from items').trim()).toBe('20');
  });

  it('UPDATE and TRUNCATE are counted; a second statement is never previewed', async () => {
    fresh('gadgets');
    const u = await held(
      rig,
      ['psql', pg.url, '-c', "UPDATE gadgets SET kind = 'x' WHERE id < 5 RETURNING id"],
      rig.home,
    );
    expect(u.preview!.text).toMatch(/^UPDATE would change 4 row\(s\) of gadgets/);
    await rig.guard(['revoke', u.id]);
    await u.run.done;
    const t = await held(rig, ['psql', pg.url, '-c', 'TRUNCATE gadgets'], rig.home);
    expect(t.preview!.text).toMatch(/^TRUNCATE would remove all 30 row\(s\) of gadgets/);
    await rig.guard(['revoke', t.id]);
    await t.run.done;
    const two = await held(rig, ['psql', pg.url, '-c', 'DELETE FROM gadgets WHERE true; DROP TABLE gadgets'], rig.home);
    expect(two.preview).toMatchObject({ status: 'skipped', text: 'not previewed: more than one SQL statement' });
    await rig.guard(['revoke', two.id]);
    await two.run.done;
    expect(pg.sql('select count(*) from gadgets').trim()).toBe('30');
  });

  it('a WHERE that tries to write fails in the read-only transaction and the request is still held', async () => {
    fresh('widgets');
    pg.sql('create function wipe() returns boolean language sql as $$ delete from widgets returning true $$');
    const h = await held(rig, ['psql', pg.url, '-c', 'DELETE FROM widgets WHERE wipe()'], rig.home);
    expect(h.preview).toMatchObject({ kind: 'sql-count', status: 'failed' });
    expect(h.preview!.text).toMatch(/read-only transaction/);
    expect(pg.sql('select count(*) from widgets').trim()).toBe('30');
    await rig.guard(['revoke', h.id]);
    await h.run.done;
  });
});

describe('a failing or slow preview never blocks or decides', () => {
  const rig = daemonRig({ GUARD_PREVIEW_SECONDS: '1' });

  it('a hanging plan is cut at the time limit; the request is held and can be approved', async () => {
    const dir = mkdtempSync(join(rig.home, 'tf-'));
    writeFileSync(join(dir, 'desired'), 'one\n');
    writeFileSync(join(dir, 'hang'), '');
    const h = await held(rig, ['terraform', 'apply'], dir);
    expect(h.preview).toMatchObject({ kind: 'terraform-plan', status: 'timeout' });
    expect(h.preview!.text).toBe('terraform plan did not finish within 1 s');
    expect((await rig.approve(h.id, 'alice')).code).toBe(0);
    expect((await h.run.done).code).toBe(0);
    expect(readFileSync(join(dir, 'state'), 'utf8')).toBe('one\n');
  });

  it('a plan that leaves a process holding its output open is still cut at the limit', async () => {
    const dir = mkdtempSync(join(rig.home, 'tf-'));
    writeFileSync(join(dir, 'detach'), '');
    const h = await held(rig, ['terraform', 'apply'], dir);
    try {
      expect(h.preview).toMatchObject({ kind: 'terraform-plan', status: 'timeout' });
    } finally {
      try {
        process.kill(Number(readFileSync(join(dir, 'detached.pid'), 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rig.guard(['revoke', h.id]);
    await h.run.done;
  });

  it('a failing plan says so and the request is held (and denied only by a human)', async () => {
    const dir = mkdtempSync(join(rig.home, 'tf-'));
    writeFileSync(join(dir, 'broken'), '');
    const h = await held(rig, ['terraform', 'apply'], dir);
    expect(h.preview).toMatchObject({ kind: 'terraform-plan', status: 'failed' });
    expect(h.preview!.text).toContain('Error: provider failed to configure');
    const ledger = await rig.ledger();
    expect(
      ledger.some((x) => x.type === 'decision' && x.payload['requestId'] === h.id && x.payload['effect'] === 'approve'),
    ).toBe(true);
    await rig.guard(['revoke', h.id]);
    expect((await h.run.done).code).not.toBe(0);
  });
});

describe('helm upgrade|install: helm diff where the plugin is installed (decision 1097)', () => {
  const plugins = mkdtempSync(join(tmpdir(), 'guard-helm-plugins-'));
  mkdirSync(join(plugins, 'helm-diff'));
  writeFileSync(join(plugins, 'helm-diff', 'plugin.yaml'), 'name: diff\nversion: 3.9.11\n');
  const withPlugin = daemonRig({ HELM_PLUGINS: plugins });
  afterAll(() => rmSync(plugins, { recursive: true, force: true }));
  const chartDir = (rig: Rig): string => {
    const dir = mkdtempSync(join(rig.home, 'helm-'));
    mkdirSync(join(dir, 'chart'));
    writeFileSync(join(dir, 'chart', 'manifest.yaml'), 'kind: Deployment\nreplicas: {{replicas}}\n');
    mkdirSync(join(dir, 'releases'));
    writeFileSync(join(dir, 'releases', 'web.yaml'), 'kind: Deployment\nreplicas: 2\n');
    return dir;
  };

  it('helm upgrade: the diff of the deployed release and the chart with the same values; nothing deployed before approval', async () => {
    const dir = chartDir(withPlugin);
    const h = await held(
      withPlugin,
      ['helm', 'upgrade', 'web', './chart', '--set', 'replicas=5', '--wait', '--timeout', '5m'],
      dir,
    );
    expect(h.preview).toMatchObject({ kind: 'helm-diff', status: 'ok', title: 'helm diff' });
    expect(h.preview!.text).toContain('default, web, Deployment (apps) has changed:');
    expect(h.preview!.text).toContain('-replicas: 2');
    expect(h.preview!.text).toContain('+replicas: 5');
    // helm-diff's own argument shape; the rollout options are not its business
    expect(readFileSync(join(dir, 'helm-args.log'), 'utf8')).toBe(
      'version\nupgrade --no-color --set replicas=5 web ./chart\n',
    );
    expect(readFileSync(join(dir, 'releases', 'web.yaml'), 'utf8')).toBe('kind: Deployment\nreplicas: 2\n');
    expect((await withPlugin.approve(h.id, 'alice')).code).toBe(0);
    expect((await h.run.done).code).toBe(0);
    expect(readFileSync(join(dir, 'releases', 'web.yaml'), 'utf8')).toBe('kind: Deployment\nreplicas: 5\n');
  });

  it('helm install: diffed as a release not yet deployed (--install)', async () => {
    const dir = chartDir(withPlugin);
    const h = await held(withPlugin, ['helm', 'install', 'api', './chart'], dir);
    expect(h.preview).toMatchObject({ kind: 'helm-diff', status: 'ok' });
    expect(h.preview!.text).toContain('+replicas: 1');
    expect(readFileSync(join(dir, 'helm-args.log'), 'utf8')).toContain('upgrade --install --no-color api ./chart\n');
    await withPlugin.guard(['revoke', h.id]);
    await h.run.done;
  });

  describe('without the plugin', () => {
    const bare = daemonRig({ HELM_PLUGINS: join(plugins, 'none') });

    it('says helm diff is not installed, and the request is held as ever', async () => {
      const dir = chartDir(bare);
      const h = await held(bare, ['helm', 'upgrade', '--install', 'web', './chart'], dir);
      expect(h.preview).toMatchObject({ kind: 'helm-diff', status: 'skipped' });
      expect(h.preview!.text).toMatch(/^skipped: helm diff not installed \(helm diff version: exit 1\)/);
      expect((await bare.approve(h.id, 'alice')).code).toBe(0);
      expect((await h.run.done).code).toBe(0);
      expect(readFileSync(join(dir, 'releases', 'web.yaml'), 'utf8')).toBe('kind: Deployment\nreplicas: 1\n');
    });
  });
});
