/**
 * Channels: cost of accepting a signed webhook callback on the HTTP listener (HMAC check, replay
 * cache, schema, host.decide) against a bare node:http round trip on the same machine, and cost of
 * rendering a 100 KB command for Slack / Teams against a one-line command, and of a live grant's
 * scope for a channel view with a 1 MiB command against a one-line command.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpListener } from '../src/channels/http-listener.js';
import { renderMessage } from '../src/channels/slack/blocks.js';
import { renderCard } from '../src/channels/teams/card.js';
import type { RequestView } from '../src/channels/types.js';
import { liveGrantView } from '../src/request/grant-scope.js';
import type { StoredRequest } from '../src/request/state.js';
import { fmt, median } from './lib.js';
import type { Suite } from './suites.js';

const SECRET = 'bench-secret';

function sampleView(command: string): RequestView {
  const now = Date.now();
  return {
    id: 'r-bench',
    state: 'pending',
    command,
    argv: command.split(' '),
    cwd: '/srv/app',
    risk: 'high',
    requester: { user: 'ana', agent: 'claude-code', host: 'ci-1' },
    rules: [
      {
        id: 'db.drop',
        effect: 'approve',
        risk: 'high',
        description: 'Destructive database work',
        impact: 'drops tables',
        controls: [],
      },
    ],
    commands: [command],
    context: { repo: 'acme/app', branch: 'main' },
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 600_000).toISOString(),
    quorum: 1,
    approvals: [],
  };
}

/** An approved request of `view` with a live one-use grant (the policy's default: no scope chosen). */
function approvedOf(view: RequestView): StoredRequest {
  const expiresAt = new Date(Date.now() + 600_000).toISOString();
  return {
    id: view.id,
    state: 'approved',
    fingerprint: 'f'.repeat(64),
    createdAt: view.createdAt,
    expiresAt: view.expiresAt,
    detached: false,
    view: { ...view, state: 'approved' },
    settings: {
      groups: [],
      quorum: 1,
      grantTtlSeconds: 600,
      grantUses: 1,
      timeoutSeconds: 600,
      fourEyes: false,
      channels: [],
    },
    requester: { user: 'ana', agent: 'claude-code' },
    votes: [],
    grant: { requestId: view.id, fingerprint: 'f'.repeat(64), expiresAt, usesLeft: 1, revoked: false },
    policyDigest: 'd'.repeat(16),
    updatedAt: view.createdAt,
  };
}

async function timeRequests(n: number, send: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await send(i);
    out.push(performance.now() - t0);
  }
  return out;
}

function timeSync(n: number, f: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    out.push(performance.now() - t0);
  }
  return out;
}

export const channelsSuite: Suite = {
  name: 'channels',
  async run() {
    const runs = Number(process.env['BENCH_RUNS'] ?? 300);
    const plain = createServer((_req, res) => {
      _req.resume();
      _req.on('end', () => res.end('{"ok":true}'));
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/`;
    const listener = new HttpListener({ bind: '127.0.0.1', port: 0 });
    await listener.register('bench', { secret: SECRET, onDecision: () => Promise.resolve(null) });
    const cbUrl = listener.callbackUrl('bench') ?? '';
    const post = async (url: string, i: number): Promise<void> => {
      const body = JSON.stringify({ request_id: `r-${i}`, action: 'approve', approver: 'bob@acme.test' });
      const ts = String(Math.floor(Date.now() / 1000));
      const sig = 'v1=' + createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'x-guard-timestamp': ts, 'x-guard-signature': sig },
        body,
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      await res.text();
    };
    await timeRequests(30, (i) => post(plainUrl, i)); // warm up
    await timeRequests(30, (i) => post(cbUrl, 1_000_000 + i));
    const plainT: number[] = [];
    const cbT: number[] = [];
    for (let i = 0; i < runs; i++) {
      plainT.push(...(await timeRequests(1, () => post(plainUrl, i))));
      cbT.push(...(await timeRequests(1, () => post(cbUrl, i))));
    }
    await listener.unregister('bench');
    await new Promise<void>((r) => plain.close(() => r()));

    const short = sampleView('psql -c "DROP TABLE users"');
    const long = sampleView('psql -c "' + "INSERT INTO t VALUES (1, '<x>&');".repeat(3000) + '"');
    const slackShort = median(timeSync(runs, () => renderMessage(short, Date.now())));
    const slackLong = median(timeSync(runs, () => renderMessage(long, Date.now())));
    const teamsShort = median(timeSync(runs, () => renderCard(short)));
    const teamsLong = median(timeSync(runs, () => renderCard(long)));
    // a live grant's scope for a channel view (decision 1107): a 1 MiB command is cut at 4,096 bytes
    const huge = sampleView(`echo ${'x'.repeat(1024 * 1024)}`);
    const grantShort = median(timeSync(runs, () => liveGrantView(approvedOf(short))));
    const grantHuge = median(timeSync(runs, () => liveGrantView(approvedOf(huge))));

    const p = median(plainT);
    const c = median(cbT);
    const w = (s: string): boolean => process.stdout.write(s + '\n');
    w(`runs per case: ${runs} (interleaved)`);
    w(`bare node:http POST round trip          median ${fmt(p, 3)} ms`);
    w(`signed callback accepted by listener    median ${fmt(c, 3)} ms   ratio ${fmt(c / p)}`);
    w(`Slack render, 26-char command           median ${fmt(slackShort, 3)} ms`);
    w(
      `Slack render, ${long.command.length}-char command       median ${fmt(slackLong, 3)} ms   ratio ${fmt(slackLong / slackShort)}`,
    );
    w(`Teams card, 26-char command             median ${fmt(teamsShort, 3)} ms`);
    w(
      `Teams card, ${long.command.length}-char command         median ${fmt(teamsLong, 3)} ms   ratio ${fmt(teamsLong / teamsShort)}`,
    );
    w(`live grant view, 26-char command        median ${fmt(grantShort, 3)} ms`);
    w(
      `live grant view, ${huge.command.length}-char command  median ${fmt(grantHuge, 3)} ms   ratio ${fmt(grantHuge / grantShort)}`,
    );
  },
};
