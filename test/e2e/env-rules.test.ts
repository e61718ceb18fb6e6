/**
 * `env:` rules on the quick path (decision 1026): a command the client runs itself is judged on the
 * environment it runs with, not only on a leading `VAR=value`. Real daemon, the real Node and
 * native clients, real processes: a variable a deny rule names, exported rather than written on the
 * line, is refused; an approval given under one value is not used under another; and over the
 * socket, a quick request that does not say which variables it sets, or sets one the policy reads,
 * is asked for the full context, whose binding must carry the value judged.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/daemon/client.js';
import type { ExecMessage } from '../../src/daemon/messages.js';
import { ask } from '../../src/daemon/replies.js';
import { ExitCode } from '../../src/errors.js';
import { MARK, Rig, type Run } from '../daemon/helpers.js';
import { clientTitle, EXEC_CLIENTS, guardCommand, skipClient, type ExecClient } from '../helpers/cli.js';

const POLICY = `version: 1
default: allow
rules:
  - id: e.prod
    description: nothing is marked against production
    effect: deny
    match: { program: mark, any_arg: [deploy], env: { DEPLOY_ENV: 'prod*' } }
  - id: e.stage
    description: marking against a staging stack needs one approval
    effect: approve
    match: { program: mark, any_arg: [stage], env: { DEPLOY_ENV: 'stage*' } }
    approval: { timeout: 60s }
`;

const ID = /^(rq-[0-9a-f]{12})$/m;
const h = (v: string): string => createHash('sha256').update(v, 'utf8').digest('hex');

let rig: Rig;
beforeAll(async () => {
  rig = new Rig(POLICY);
  await rig.startDaemon();
  await rig.enroll('alice', ['ops']);
});
afterAll(() => rig.cleanup());

/** `guard exec` with DEPLOY_ENV exported (not on the command line), by the given client. */
function exec(client: ExecClient, deployEnv: string | undefined, args: string[], flags: string[] = []): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...rig.env };
  delete env['DEPLOY_ENV'];
  if (deployEnv !== undefined) env['DEPLOY_ENV'] = deployEnv;
  if (client === 'native') env['GUARD_NATIVE_TRACE'] = '1';
  const [cmd, lead] = guardCommand(client);
  const child = spawn(cmd, [...lead, 'exec', ...flags, '--', MARK, rig.marker, ...args], {
    env,
    cwd: rig.home,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const marked = (label: string): number => rig.marks().filter((m) => m.startsWith(label)).length;

for (const client of EXEC_CLIENTS) {
  describe.skipIf(skipClient(client))(`an exported variable is judged (${clientTitle(client)})`, () => {
    it('a deny rule on DEPLOY_ENV refuses the command when the variable is in the environment', async () => {
      const label = `deploy-${client}`;
      const denied = await exec(client, 'production', [label, 'deploy']);
      expect(denied.stderr).toMatch(/denied by policy: .*nothing was run/);
      expect(denied.code).toBe(ExitCode.DENIED);
      expect(marked(label)).toBe(0);
      // another value, or none, runs
      expect((await exec(client, 'staging-1', [label, 'deploy'])).code).toBe(0);
      const unset = await exec(client, undefined, [label, 'deploy']);
      expect(unset.code).toBe(0);
      // the native client names its variables, so it keeps the quick path when none is read
      expect(unset.stderr).not.toMatch(/handing over to the Node client/);
      expect(marked(label)).toBe(2);
    });
  });
}

describe('an approval binds the value judged', () => {
  it('approved under DEPLOY_ENV=stage-a, the command under stage-b is a new request; under stage-a it runs', async () => {
    const first = await exec('node', 'stage-a', ['grant', 'stage'], ['--no-wait']);
    expect(first.code).toBe(ExitCode.PENDING);
    const id = first.stdout.match(ID)![1]!;
    expect((await rig.approve(id, 'alice')).code).toBe(0);
    const other = await exec('node', 'stage-b', ['grant', 'stage'], ['--no-wait']);
    expect(other.code).toBe(ExitCode.PENDING);
    expect(other.stdout.match(ID)![1]).not.toBe(id);
    expect(marked('grant')).toBe(0);
    const same = await exec('node', 'stage-a', ['grant', 'stage'], ['--no-wait']);
    expect(same.code).toBe(0);
    expect(marked('grant')).toBe(1);
  });
});

describe('over the socket', () => {
  const argv = (): string[] => [MARK, rig.marker, 'wire', 'deploy'];
  const quick = (extra: Partial<ExecMessage>): ExecMessage => ({
    type: 'exec',
    argv: argv(),
    cwd: rig.home,
    context: { requester: { user: 'agent', agent: 'test' } },
    noWait: true,
    partialContext: true,
    ...extra,
  });
  const send = async (msg: ExecMessage) => {
    const c = await DaemonClient.connect(join(rig.env['GUARD_HOME']!, 'run', 'guard.sock'));
    try {
      return await ask(c, msg);
    } finally {
      c.close();
    }
  };

  it('a quick request that does not name its variables, or names one the policy reads, is asked for the values', async () => {
    await expect(send(quick({}))).resolves.toEqual({ outcome: 'need_context', env: ['DEPLOY_ENV'] });
    await expect(send(quick({ envNames: ['PATH', 'DEPLOY_ENV'] }))).resolves.toEqual({
      outcome: 'need_context',
      env: ['DEPLOY_ENV'],
    });
    // without it the command is judged with the variable unset, and allowed
    await expect(send(quick({ envNames: ['PATH'] }))).resolves.toMatchObject({ outcome: 'run' });
  });

  it('a full request whose binding says DEPLOY_ENV is set must carry the value its hash names', async () => {
    const full = (env: Record<string, string> | undefined): ExecMessage => ({
      ...quick({}),
      partialContext: false,
      binding: { env: { DEPLOY_ENV: h('production') }, targets: argv().map(() => null) },
      ...(env === undefined ? {} : { env }),
    });
    await expect(send(full(undefined))).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/the policy reads DEPLOY_ENV/) as string,
    });
    await expect(send(full({ DEPLOY_ENV: 'staging' }))).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/the value of DEPLOY_ENV judged differs from its binding/) as string,
    });
    await expect(send(full({ DEPLOY_ENV: 'production' }))).resolves.toMatchObject({
      outcome: 'deny',
      rules: ['e.prod'],
    });
  });
});
