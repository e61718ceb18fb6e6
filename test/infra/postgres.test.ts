/**
 * The throwaway PostgreSQL that the hub, enforced-mode and preview tests use: it starts, refuses
 * a wrong password, survives a crash (SIGKILL) with its data, and restarts on the same port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { spawnSync } from 'node:child_process';

const skip = postgresSkipReason();

describe.skipIf(skip)('test PostgreSQL', () => {
  let pg: Postgres;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await pg?.destroy();
  });

  it('answers the superuser and refuses a wrong password', () => {
    expect(pg.sql('select 1').trim()).toBe('1');
    const r = spawnSync(
      'psql',
      ['-X', '-At', '-h', pg.host, '-p', String(pg.port), '-U', 'postgres', '-c', 'select 1'],
      {
        encoding: 'utf8',
        env: { PATH: '/usr/bin:/bin', PGPASSWORD: 'wrong', PGCONNECT_TIMEOUT: '30' },
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/password authentication failed/);
  });

  it('keeps committed data across a crash and a restart', async () => {
    pg.sql('create table t (x int); insert into t values (42)');
    await pg.kill();
    expect(() => pg.sql('select 1')).toThrow();
    await pg.start();
    expect(pg.sql('select x from t').trim()).toBe('42');
  }, 120_000);
});
