/**
 * Which held commands get which preview (src/preview/detect.ts, sql.ts), judged from real policy
 * decisions: only one plain command (run directly or as a whole `bash -c` text) is previewed, and a
 * destructive SQL statement is read only when it is one statement of a known shape.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/policy/types.js';
import { planPreview } from '../../src/preview/detect.js';
import { destructiveSql } from '../../src/preview/sql.js';
import { heldJudge } from './helpers.js';

let judge: (argv: string[]) => Decision;
beforeAll(async () => {
  judge = await heldJudge();
});
const skipOf = (p: object | undefined): string => (p !== undefined && 'skipped' in p ? String(p.skipped) : '');
const plan = (argv: string[]) => planPreview(judge(argv));

describe('planPreview', () => {
  it('plans each kind for one plain command', () => {
    expect(plan(['terraform', '-chdir=infra', 'apply', '-auto-approve', '-var', 'x=1'])).toEqual({
      plan: { kind: 'terraform-plan', chdir: 'infra', destroy: false, planFile: undefined, options: ['-var', 'x=1'] },
    });
    expect(plan(['terraform', 'apply', 'saved.plan'])).toMatchObject({ plan: { planFile: 'saved.plan' } });
    expect(plan(['terraform', 'destroy'])).toMatchObject({ plan: { kind: 'terraform-plan', destroy: true } });
    expect(plan(['psql', '-h', 'db', '-U', 'app', 'prod', '-c', 'delete from t where a = 1'])).toEqual({
      plan: {
        kind: 'sql-count',
        connection: ['-h', 'db', '-U', 'app', 'prod'],
        table: 't',
        where: 'a = 1',
        statement: 'DELETE',
      },
    });
    expect(plan(['git', 'push', '-f', 'up', 'feature:main'])).toEqual({
      plan: { kind: 'git-push-drops', gitDir: undefined, remote: 'up', src: 'feature', dst: 'main' },
    });
    expect(plan(['git', 'push', 'origin', '+main'])).toMatchObject({ plan: { kind: 'git-push-drops' } });
    expect(plan(['rm', '-r', '--', '-odd', 'b'])).toEqual({ plan: { kind: 'rm-tree', targets: ['-odd', 'b'] } });
    expect(plan(['kubectl', '--context=prod', 'apply', '-f', 'app.yaml'])).toEqual({
      plan: { kind: 'kubectl-diff', args: ['--context=prod', '-f', 'app.yaml'] },
    });
    expect(plan(['bash', '-c', 'rm -rf build'])).toEqual({ plan: { kind: 'rm-tree', targets: ['build'] } });
  });

  it("helm upgrade|install as helm-diff's `diff upgrade [flags] RELEASE CHART` (decision 1097)", () => {
    expect(
      plan(['helm', '-n', 'prod', 'upgrade', '-i', 'web', './chart', '-f', 'v.yaml', '--wait', '--timeout=5m']),
    ).toEqual({
      plan: {
        kind: 'helm-diff',
        args: ['diff', 'upgrade', '--install', '--no-color', '-n', 'prod', '-f', 'v.yaml', 'web', './chart'],
      },
    });
    expect(plan(['helm', 'install', 'api', 'repo/api', '--version', '1.2.3', '--set=a=b', '--atomic'])).toEqual({
      plan: {
        kind: 'helm-diff',
        args: ['diff', 'upgrade', '--install', '--no-color', '--version', '1.2.3', '--set=a=b', 'api', 'repo/api'],
      },
    });
    expect(skipOf(plan(['helm', 'upgrade', 'web', './chart', '--dry-run']))).toBe(
      'not previewed: helm upgrade option --dry-run',
    );
    expect(skipOf(plan(['helm', 'install', '--generate-name', './chart']))).toBe(
      'not previewed: helm install option --generate-name',
    );
    expect(skipOf(plan(['helm', 'upgrade', 'web']))).toBe(
      'not previewed: helm upgrade without exactly a release name and a chart',
    );
    expect(skipOf(plan(['helm', 'upgrade', 'web', './chart', '--set']))).toBe(
      'not previewed: helm option --set has no value',
    );
    expect(plan(['helm', 'list'])).toBeUndefined();
    expect(plan(['helm', 'repo', 'add', 'upgrade', 'x'])).toBeUndefined();
  });

  it('plans nothing for commands that change nothing it can preview', () => {
    for (const argv of [
      ['terraform', 'plan'],
      ['git', 'push', 'origin', 'main'],
      ['rm', 'file'],
      ['psql', '-c', 'select 1'],
      ['psql', '-f', 'wipe.sql'],
      ['ls'],
    ])
      expect(plan(argv)).toBeUndefined();
  });

  it('says why a previewable command is not previewed', () => {
    expect(skipOf(plan(['bash', '-c', 'cd /srv && rm -rf data']))).toMatch(/not one plain program/);
    expect(skipOf(plan(['sudo', 'rm', '-rf', '/srv']))).toMatch(/not one plain program/);
    expect(plan(['terraform', 'apply', '-state=x'])).toEqual({
      skipped: 'not previewed: terraform apply option -state=x',
    });
    expect(plan(['git', 'push', '--force', 'origin', 'a', 'b'])).toEqual({
      skipped: 'not previewed: a force-push of several refs',
    });
  });
});

describe('destructiveSql', () => {
  it('reads the table and the WHERE text of the known shapes', () => {
    expect(destructiveSql("DELETE FROM public.items AS i WHERE i.kind = 'a;b' RETURNING id;")).toEqual({
      table: 'public.items AS i',
      where: "i.kind = 'a;b'",
      statement: 'DELETE',
    });
    expect(destructiveSql('update "Odd""Name" set x = (select 1) where y in (1, 2)')).toEqual({
      table: '"Odd""Name"',
      where: 'y in (1, 2)',
      statement: 'UPDATE',
    });
    expect(destructiveSql('TRUNCATE TABLE t')).toEqual({ table: 't', where: undefined, statement: 'TRUNCATE' });
    expect(destructiveSql('drop table if exists s.t')).toEqual({ table: 's.t', where: undefined, statement: 'DROP' });
    expect(destructiveSql("delete from t where a = $q$ ; $q$ -- ; \n and b = E'\\';'")).toMatchObject({
      where: "a = $q$ ; $q$ -- ; \n and b = E'\\';'",
    });
  });

  it('refuses what it cannot read as one statement of one table', () => {
    expect(destructiveSql('DELETE FROM t WHERE true; DROP TABLE t')).toEqual({
      skipped: 'not previewed: more than one SQL statement',
    });
    expect(destructiveSql("delete from t where a = 'open")).toEqual({
      skipped: 'not previewed: the SQL text could not be read',
    });
    expect(destructiveSql('delete from t where a = 1 \\g')).toEqual({
      skipped: 'not previewed: the SQL text could not be read',
    });
    expect(destructiveSql('delete from t using u where t.id = u.id')).toEqual({
      skipped: 'not previewed: DELETE … USING',
    });
    expect(destructiveSql('update t set a = u.a from u where t.id = u.id')).toEqual({
      skipped: 'not previewed: UPDATE … FROM',
    });
    expect(skipOf(destructiveSql('truncate a, b'))).toMatch(/more than one plain table/);
    expect(skipOf(destructiveSql('truncate t cascade'))).toMatch(/more than one plain table/);
    expect(destructiveSql('delete from t where current of c')).toEqual({ skipped: 'not previewed: WHERE CURRENT OF' });
    expect(destructiveSql('select 1')).toBeUndefined();
    expect(destructiveSql('with x as (delete from t) select 1')).toBeUndefined();
  });
});
