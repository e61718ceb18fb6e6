/**
 * A fleet for the hub tests: one throwaway PostgreSQL, hub replicas as real `guard hub start`
 * processes, daemons (each its own GUARD_HOME, enrolled with the real `guard hub enroll-host` and
 * `guard hub join`) and the local Slack protocol server the channel tests use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeSlack } from '../channels/fake-slack.js';
import { APP_TOKEN, BOT_TOKEN } from '../channels/fake-slack.js';
import { BIN, Rig } from '../daemon/helpers.js';
import type { Postgres } from '../helpers/postgres.js';

export const CHANNEL = 'C0HUB';
export const BOB = { id: 'U0BOB', username: 'bob', name: 'bob', team_id: 'T1' };

export interface Replica {
  child: ChildProcess;
  url: string;
  log: () => string;
}

/** A `guard hub start` process; without a config it serves no channel, `listen` may name a port to reuse. */
export async function startReplica(
  pg: Postgres,
  configFile?: string,
  listen = '127.0.0.1:0',
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
): Promise<Replica> {
  const config = configFile === undefined ? [] : ['--config', configFile];
  const child = spawn(process.execPath, [BIN, 'hub', 'start', '--listen', listen, ...config, ...args], {
    env: { ...process.env, GUARD_HUB_DATABASE_URL: pg.url, SLACK_APP: APP_TOKEN, SLACK_BOT: BOT_TOKEN, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.on('exit', (code, signal) => (log += `exited: ${code} ${signal}\n`));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m !== null) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`hub exited ${code}: ${log}`)));
  });
  return { child, url, log: () => log };
}

export function hubConfig(dir: string, slack: FakeSlack): string {
  const file = join(dir, 'hub-config.yaml');
  writeFileSync(
    file,
    `channels:\n  retry: { attempts: 3, base_ms: 20, max_ms: 100 }\n  slack:\n    app_token_ref: env:SLACK_APP\n    bot_token_ref: env:SLACK_BOT\n    channel_id: ${CHANNEL}\n    api_url: ${slack.apiUrl}\n    user_map: { ${BOB.id}: bob }\n`,
  );
  return file;
}

/** Enrols a daemon's GUARD_HOME with the hub through the CLI; returns the `hub:` config text. */
export async function joinHost(rig: Rig, pg: Postgres, hubUrl: string, name: string): Promise<string> {
  const minted = await rig.guard(['hub', 'enroll-host', '--name', name], {
    env: { ...rig.env, GUARD_HUB_DATABASE_URL: pg.url },
  });
  if (minted.code !== 0) throw new Error(`enroll-host failed: ${minted.stderr}`);
  const tokenFile = join(rig.home, 'hub-token');
  writeFileSync(tokenFile, minted.stdout, { mode: 0o600 });
  const joined = await rig.guard(['hub', 'join', '--hub', hubUrl, '--token-file', tokenFile]);
  if (joined.code !== 0) throw new Error(`join failed: ${joined.stderr}`);
  return joined.stdout;
}

/**
 * A daemon of the fleet: enrolled through `hubUrl`, configured with every replica's URL (no load
 * balancer here: the link moves on when one dies), bob enrolled as its Slack approver U0BOB (or
 * `approver`, enrolled into ops with its own flags).
 */
export async function startHost(
  pg: Postgres,
  replicas: Replica[],
  hubUrl: string,
  name: string,
  policy?: string,
  approver: { name: string; flags: string[] } = { name: 'bob', flags: ['--slack-user-id', BOB.id] },
): Promise<Rig> {
  const rig = new Rig(policy);
  const section = await joinHost(rig, pg, hubUrl, name);
  mkdirSync(rig.env['GUARD_HOME']!, { recursive: true, mode: 0o700 });
  const urls = `url: [${replicas.map((r) => r.url).join(', ')}]`;
  writeFileSync(join(rig.env['GUARD_HOME']!, 'config.yaml'), section.replace(/url: \S+/, urls));
  await rig.enroll(approver.name, ['ops'], undefined, approver.flags);
  await rig.startDaemon();
  return rig;
}

export function blockActions(requestKey: string): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: BOB,
    api_app_id: 'A1',
    team: { id: 'T1', domain: 'acme' },
    trigger_id: `trigger-${requestKey}`,
    channel: { id: CHANNEL, name: 'approvals' },
    actions: [{ type: 'button', action_id: 'guard_approve', block_id: 'guard_actions', value: requestKey }],
  };
}

export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function health(url: string): Promise<{ ok: boolean; slackOwner: boolean } | undefined> {
  try {
    const r = await fetch(`${url}/v1/health`);
    return r.ok ? ((await r.json()) as { ok: boolean; slackOwner: boolean }) : undefined;
  } catch {
    return undefined;
  }
}

/** Tears a fleet down; with HUB_DEBUG set, prints each replica's log and the daemon's first. */
export async function stopFleet(f: {
  rig: Rig | undefined;
  replicas: Replica[];
  pg: Postgres | undefined;
  dir: string;
  server: { stop(): Promise<void> } | undefined;
}): Promise<void> {
  if (process.env['HUB_DEBUG'] !== undefined) {
    for (const r of f.replicas) console.log(r.log());
    if (f.rig !== undefined) console.log(readFileSync(join(f.rig.env['GUARD_HOME']!, 'daemon.log'), 'utf8'));
  }
  await f.rig?.cleanup();
  for (const r of f.replicas) r.child.kill('SIGKILL');
  await f.server?.stop();
  await f.pg?.destroy();
  rmSync(f.dir, { recursive: true, force: true });
}
