/**
 * `guard tui --hub URL` in a real terminal (tmux, 80×24, its own `-L` socket), on a real
 * PostgreSQL with one hub replica and one daemon host where bob is enrolled: the passphrase logs
 * in once, the host's request appears with its host name in the list and the detail pane, and
 * approving it (passphrase again, signed by bob's key) lets the command run on the host.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, MARK, ROOT, type Rig } from '../daemon/helpers.js';
import { postgresSkipReason, startPostgres, type Postgres } from '../helpers/postgres.js';
import { startHost, startReplica, type Replica } from '../hub/fleet.js';
import { HAS_TMUX, PASS, Tmux, waitFile } from './tmux.js';

const HOST = 'htui-t';

describe.skipIf(!HAS_TMUX || postgresSkipReason() !== undefined)('guard tui --hub in a real terminal', () => {
  let pg: Postgres;
  let replica: Replica;
  let rig: Rig;
  let tmux: Tmux;
  beforeAll(async () => {
    pg = await startPostgres();
    replica = await startReplica(pg);
    rig = await startHost(pg, [replica], replica.url, HOST);
    tmux = new Tmux({ ...rig.env, TERM: 'xterm-256color' });
  }, 300_000);
  afterAll(async () => {
    tmux?.kill();
    await rig?.cleanup();
    replica?.child.kill('SIGKILL');
    await pg?.destroy();
  });

  test('log in, see the host per request, approve with a signed decision relayed to the host', async () => {
    const tui = 't:0';
    tmux.session(`cd ${ROOT} && node ${BIN} tui --hub ${replica.url} --as bob; sleep 300`);
    await tmux.waitScreen(tui, /passphrase of approver bob to log in/);
    tmux.type(tui, PASS);
    tmux.keys(tui, 'Enter');
    await tmux.waitScreen(tui, /^guard · requests · bob/m);

    const out = join(rig.home, 'exec.out');
    tmux.run(
      'new-window',
      '-d',
      '-t',
      't:1',
      `cd ${ROOT} && node ${BIN} exec -- ${MARK} ${rig.marker} approve-me; echo "exit=$?" > ${out}; sleep 300`,
    );
    const listed = await tmux.waitScreen(tui, new RegExp(`› HIGH [\\s\\S]*\\[${HOST}\\]`));
    const id = /(rq-[0-9a-f]{12}) {2}PENDING/.exec(listed)?.[1];
    expect(id).toBeDefined();

    tmux.keys(tui, 'Enter');
    const detail = await tmux.waitScreen(tui, /Esc back/);
    expect(detail).toMatch(new RegExp(`Host:? +${HOST}`));
    tmux.keys(tui, 'Escape');
    await tmux.waitScreen(tui, /RISK LEFT/);

    tmux.keys(tui, 'a');
    await tmux.waitScreen(tui, new RegExp(`Passphrase of bob to approve ${id!}`));
    tmux.type(tui, PASS);
    tmux.keys(tui, 'Enter');
    await tmux.waitScreen(tui, new RegExp(`on ${HOST} signed as bob and relayed`));
    expect(await waitFile(out, /exit=\d+/, 60_000)).toBe('exit=0\n');
    expect(rig.marks()).toHaveLength(1);
    rmSync(rig.marker, { force: true });
  });
});
