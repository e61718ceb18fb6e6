/**
 * Applying exactly the previewed Terraform plan through the executor (enforced mode, decision
 * 1110): the credentialed preview runs as the runner and its plan is kept where only the daemon
 * can write it; once approved, the executor applies exactly that plan as the runner with the
 * rule's credential — not a new plan of the configuration as the agent left it. Real OS users
 * (prefix `spx`), the built CLI, a real daemon holding the executor's capabilities, and each case
 * twice: with the real terraform at /usr/local/bin (only `terraform_data` resources and a local
 * backend whose state the runner owns, so `terraform init` needs no download) where installed, and
 * with the stand-in of test/preview/fixtures/bin copied into a root-owned directory. Skipped with
 * a printed reason when not root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_BIN } from '../preview/helpers.js';
import {
  adminGuard,
  collect,
  enforcedSocket,
  enforcedUsers,
  installApp,
  osUsersSkipReason,
  PATH,
  startEnforcedDaemon,
  tearDown,
  type Run,
} from './os-users.js';

const SKIP = osUsersSkipReason();
if (SKIP !== undefined) console.log(`test/e2e/enforced-saved-plan.test.ts: suite skipped: ${SKIP}`);

const REAL_TERRAFORM = '/usr/local/bin/terraform';
const realSkip = existsSync(REAL_TERRAFORM) ? false : `${REAL_TERRAFORM} is not installed`;
if (realSkip !== false) console.log(`test/e2e/enforced-saved-plan.test.ts: real terraform cases skipped: ${realSkip}`);

const envArgs = (env: Record<string, string>): string[] => Object.entries(env).map(([k, v]) => `${k}=${v}`);
const LINE = /on approval guard runs `(.*)`: exactly this saved plan \(sha256 ([0-9a-f]{64})\)/;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Preview {
  kind: string;
  status: string;
  text: string;
}

type Ids = ReturnType<typeof enforcedUsers>;

interface Flavour {
  name: string;
  skip: string | false;
  /** The directory of the terraform the executor runs (root-owned), given the test's base. */
  bin(base: string): string;
  /** A working directory whose configuration wants these resources, set up as the agent would. */
  configure(dir: string, names: string[], first: boolean, id: Ids, asAgent: (argv: string[]) => Run): void;
  /** The resources that exist. */
  state(dir: string): string[];
}

const real: Flavour = {
  name: 'real terraform',
  skip: realSkip,
  bin: () => '/usr/local/bin',
  configure(dir, names, first, id, asAgent) {
    // the state is the runner's: the agent can read it, not write it
    const state = `${dir}-state`;
    if (first) {
      mkdirSync(state, { mode: 0o755 });
      chownSync(state, id.runner, id.runnerGid);
    }
    const main = join(dir, 'main.tf');
    writeFileSync(
      main,
      `terraform {\n  backend "local" { path = "${state}/terraform.tfstate" }\n}\nvariable "names" {\n  default = ${JSON.stringify(names)}\n}\nresource "terraform_data" "r" {\n  for_each = toset(var.names)\n  input    = each.key\n}\n`,
    );
    chownSync(main, id.agent, id.agentGid);
    if (!first) return;
    const init = asAgent(['terraform', 'init', '-input=false', '-no-color']);
    if (init.code !== 0) throw new Error(`terraform init failed: ${init.stdout}${init.stderr}`);
  },
  state(dir) {
    const r = spawnSync(REAL_TERRAFORM, ['state', 'list'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH, HOME: dir, CHECKPOINT_DISABLE: '1' },
    });
    return r.stdout
      .split('\n')
      .map((l) => /^terraform_data\.r\["(.*)"\]$/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined)
      .sort();
  },
};

const standIn: Flavour = {
  name: 'stand-in terraform',
  skip: false,
  bin(base) {
    const bin = join(base, 'tbin');
    mkdirSync(bin, { mode: 0o755 });
    copyFileSync(join(FAKE_BIN, 'terraform'), join(bin, 'terraform'));
    chmodSync(join(bin, 'terraform'), 0o755);
    return bin;
  },
  configure(dir, names, first, id) {
    // the stand-in keeps its state in the working directory (`touch state desired`): the runner may write there
    if (first) {
      chmodSync(dir, 0o777);
      mkdirSync(join(dir, '.terraform'), { mode: 0o755 });
      chownSync(join(dir, '.terraform'), id.agent, id.agentGid);
    }
    writeFileSync(join(dir, 'desired'), names.map((n) => `${n}\n`).join(''));
    chownSync(join(dir, 'desired'), id.agent, id.agentGid);
    chmodSync(join(dir, 'desired'), 0o666); // the stand-in touches it
  },
  state(dir) {
    return existsSync(join(dir, 'state'))
      ? readFileSync(join(dir, 'state'), 'utf8').split('\n').filter(Boolean).sort()
      : [];
  },
};

describe.skipIf(SKIP !== undefined).each([real, standIn])('enforced mode: apply exactly the saved plan: $name', (f) => {
  const tag = randomBytes(3).toString('hex');
  const u = { daemon: `spxd${tag}`, agent: `spxa${tag}`, runner: `spxr${tag}`, group: `spxs${tag}` };
  const created: string[] = [];
  const id: Ids = { agent: 0, agentGid: 0, runner: 0, runnerGid: 0, daemon: 0, daemonGid: 0 };
  let base = '';
  let app = '';
  let home = '';
  let sock = '';
  let work = '';
  let daemon: ChildProcess | undefined;
  const waiters = new Set<ChildProcess>();
  const token = `tok-${randomBytes(12).toString('hex')}`;

  const agentEnv = (): Record<string, string> => ({
    PATH,
    HOME: `/home/${u.agent}`,
    USER: u.agent,
    GUARD_SOCKET: sock,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
  });
  const drop = (uid: number, gid: number): string[] => [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--'];
  /** argv started as the agent's user in cwd, with only the agent's environment. */
  const spawnAgent = (argv: string[], cwd: string): ChildProcess => {
    const child = spawn('setpriv', [...drop(id.agent, id.agentGid), 'env', '-i', ...envArgs(agentEnv()), ...argv], {
      cwd,
    });
    child.stdin?.end();
    return child;
  };
  const agentSync = (argv: string[], cwd: string): Run => {
    const r = spawnSync('setpriv', [...drop(id.agent, id.agentGid), 'env', '-i', ...envArgs(agentEnv()), ...argv], {
      cwd,
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const guard = (args: string[], cwd: string): Promise<Run> =>
    collect(spawnAgent([process.execPath, join(app, 'bin', 'guard.js'), ...args], cwd));
  /** `guard exec` as the agent, waiting: resolves with the request id once it is held. */
  const waiting = async (argv: string[], cwd: string) => {
    const child = spawnAgent([process.execPath, join(app, 'bin', 'guard.js'), 'exec', '--', ...argv], cwd);
    waiters.add(child);
    const done = collect(child).finally(() => waiters.delete(child));
    let stderr = '';
    const rq = await new Promise<string>((res, rej) => {
      child.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /request (rq-[0-9a-f]{12}) is waiting/.exec(stderr);
        if (m) res(m[1]!);
      });
      child.on('close', () => rej(new Error(`guard exec ended before it was held: ${stderr}`)));
    });
    return { id: rq, done };
  };
  const admin = (args: string[], extra: Record<string, string> = {}): Promise<Run> =>
    adminGuard(app, base, sock, args, extra);
  const vote = (verb: 'approve' | 'deny', rq: string): Promise<Run> =>
    admin([verb, rq, '--as', 'alice', '--passphrase-file', join(base, 'alice.pass'), '--reason', 't'], {
      GUARD_APPROVER_HOME: join(base, 'alice-keys'),
    });
  const preview = async (rq: string): Promise<Preview> => {
    const shown = await admin(['show', rq, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    return (JSON.parse(shown.stdout) as { view: { preview: Preview } }).view.preview;
  };
  const ledger = async () => {
    const show = await admin(['ledger', 'show', '--json', '--db', join(home, 'ledger.db')], { GUARD_HOME: home });
    expect(show.code, show.stderr).toBe(0);
    return show.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; payload: Record<string, unknown> });
  };
  const planFile = (rq: string): string => join(home, 'plans', `${rq}.tfplan`);
  const workdir = (names: string[]): string => {
    const dir = mkdtempSync(join(work, 'tf-'));
    chownSync(dir, id.agent, id.agentGid);
    chmodSync(dir, 0o755);
    f.configure(dir, names, true, id, (argv) => agentSync(argv, dir));
    return dir;
  };
  const reconfigure = (dir: string, names: string[]): void =>
    f.configure(dir, names, false, id, (argv) => agentSync(argv, dir));

  const POLICY = `version: 1
default: allow
rules:
  - id: spx.tf
    description: terraform changes infrastructure with the tok credential; its plan may run with it before approval
    effect: approve
    credentials: [tok]
    preview: with_credentials
    match: { program: terraform, any_arg: [apply, destroy] }
`;

  beforeAll(async () => {
    if (f.skip !== false) return;
    try {
      Object.assign(id, enforcedUsers(u, created));
      base = mkdtempSync('/tmp/spx-');
      chmodSync(base, 0o755);
      app = installApp(base);
      const bin = f.bin(base);
      home = join(base, 'home');
      mkdirSync(home, { mode: 0o700 });
      chownSync(home, id.daemon, id.daemonGid);
      writeFileSync(join(base, 'policy.yaml'), POLICY, { mode: 0o644 });
      sock = enforcedSocket(base, id.daemon, u.group);
      work = join(base, 'work');
      mkdirSync(work, { mode: 0o755 });
      daemon = await startEnforcedDaemon({
        user: u.daemon,
        runner: u.runner,
        home,
        sock,
        executorEnv: 'CHECKPOINT_DISABLE,TF_IN_AUTOMATION',
        executorPath: `${bin}:/usr/bin:/bin`,
        app,
        base,
        policy: join(base, 'policy.yaml'),
      });
      writeFileSync(join(base, 'tok.secret'), token, { mode: 0o600 });
      const add = await admin(['credential', 'add', 'tok', '--env', 'TOKEN', '--from-file', join(base, 'tok.secret')]);
      if (add.code !== 0) throw new Error(`credential add failed: ${add.stderr}`);
      writeFileSync(join(base, 'alice.pass'), 'correct horse alice battery staple\n', { mode: 0o600 });
      const enroll = await admin(
        ['approver', 'enroll', '--name', 'alice', '--group', 'ops', '--passphrase-file', join(base, 'alice.pass')],
        { GUARD_APPROVER_HOME: join(base, 'alice-keys'), GUARD_KEYSTORE: 'file' },
      );
      if (enroll.code !== 0) throw new Error(`enroll failed: ${enroll.stderr}`);
    } catch (err) {
      await tearDown(daemon, created, base);
      throw err;
    }
  }, 180_000);

  afterAll(async () => {
    // a case that failed may leave its waiting client behind: it would keep its user from being removed
    for (const child of waiters) child.kill('SIGKILL');
    await tearDown(daemon, created, base);
  });

  it.skipIf(f.skip)(
    'the approved apply runs the previewed plan as the runner, even when the agent edits the configuration after the approval',
    async () => {
      const dir = workdir(['a', 'b']);
      const first = await guard(['exec', '--no-wait', '--', 'terraform', 'apply', '-auto-approve'], dir);
      expect(first.code, first.stderr).toBe(75);
      const rq = first.stdout.trim();
      const p = await preview(rq);
      expect(p, p.text).toMatchObject({ kind: 'terraform-plan', status: 'ok' });
      const file = planFile(rq);
      const line = LINE.exec(p.text);
      expect(line?.[1]).toBe(`terraform apply -input=false ${file}`);
      expect(line?.[2]).toBe(sha256(readFileSync(file)));
      expect(p.text.split('\n').pop()).toBe(
        `${line?.[0]}, not a new plan; the run is refused if the file changes or goes`,
      );
      // the plan is the daemon's: neither the agent nor the runner can write, replace or add a plan
      const st = statSync(file);
      expect(st.uid).toBe(id.daemon);
      expect(st.mode & 0o777).toBe(0o600);
      const tries = ['printf x >> "$1"', 'rm -f "$1"', 'printf x > "$1.new" && mv "$1.new" "$1"'];
      for (const t of tries) {
        const asAgent = agentSync(['sh', '-c', t, 'sh', file], dir);
        expect(asAgent.code, t).not.toBe(0);
        expect(asAgent.stderr).toMatch(/Permission denied/);
        const asRunner = spawnSync('setpriv', [...drop(id.runner, id.runnerGid), 'sh', '-c', t, 'sh', file], {
          encoding: 'utf8',
        });
        expect(asRunner.status, t).not.toBe(0);
      }
      expect(sha256(readFileSync(file))).toBe(line?.[2]);
      expect((await vote('approve', rq)).code).toBe(0);
      // after the approval the agent changes the configuration: a new plan would also create c
      reconfigure(dir, ['a', 'b', 'c']);
      const run = await guard(['exec', '--', 'terraform', 'apply', '-auto-approve'], dir);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(
        `guard: applying exactly the approved saved plan: terraform apply -input=false ${file}`,
      );
      expect(f.state(dir)).toEqual(['a', 'b']);
      // the executor ran it as the runner, with the credential, naming the plan's digest
      const records = await ledger();
      const start = records.filter((r) => r.type === 'executor_start').at(-1);
      expect(start?.payload).toMatchObject({
        runner: { user: u.runner, uid: id.runner },
        credentials: [{ name: 'tok', kind: 'env' }],
        savedPlan: { sha256: line?.[2] },
      });
      // its only use is taken: the plan is gone once the run ended
      expect(existsSync(file)).toBe(false);
      // and the runner-readable copy it applied is gone too
      const left = readdirSync('/tmp').filter((n) => /^guard-(apply|plan)-/.test(n));
      expect(left.filter((n) => statSync(join('/tmp', n)).uid === id.daemon)).toEqual([]);
    },
  );

  it.skipIf(f.skip)(
    'a saved plan that changed after the preview refuses the run (exit 76); nothing is applied',
    async () => {
      const dir = workdir(['a']);
      const h = await waiting(['terraform', 'apply', '-auto-approve'], dir);
      const file = planFile(h.id);
      expect(existsSync(file)).toBe(true);
      // only someone with the daemon's rights can change it: root plays that part here
      writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from('x')]));
      expect((await vote('approve', h.id)).code).toBe(0);
      const done = await h.done;
      expect(done.code).toBe(76);
      expect(done.stderr).toMatch(
        /approved, but the saved plan \S+ changed \(sha256 [0-9a-f]{64}, approved [0-9a-f]{64}\)/,
      );
      expect(f.state(dir)).toEqual([]);
      const records = await ledger();
      expect(records.some((r) => r.type === 'executor_start' && r.payload['requestId'] === h.id)).toBe(false);
    },
  );

  it.skipIf(f.skip)('a saved plan that is gone refuses the re-run after --no-wait (exit 76)', async () => {
    const dir = workdir(['a']);
    const first = await guard(['exec', '--no-wait', '--', 'terraform', 'apply'], dir);
    expect(first.code, first.stderr).toBe(75);
    const rq = first.stdout.trim();
    expect((await vote('approve', rq)).code).toBe(0);
    rmSync(planFile(rq));
    const rerun = await guard(['exec', '--', 'terraform', 'apply'], dir);
    expect(rerun.code).toBe(76);
    expect(rerun.stderr).toContain(`approved, but the saved plan ${planFile(rq)} is gone`);
    expect(f.state(dir)).toEqual([]);
  });

  it.skipIf(f.skip)('a denied request leaves no saved plan behind', async () => {
    const dir = workdir(['a']);
    const h = await waiting(['terraform', 'apply'], dir);
    expect(existsSync(planFile(h.id))).toBe(true);
    expect((await vote('deny', h.id)).code).toBe(0);
    expect((await h.done).code).toBe(76);
    expect(existsSync(planFile(h.id))).toBe(false);
    expect(f.state(dir)).toEqual([]);
  });

  it.skipIf(f.skip)(
    'a .terraform the runner cannot read is a clear refusal before anything runs; nothing is applied',
    async () => {
      const dir = workdir(['a']);
      const h = await waiting(['terraform', 'apply'], dir);
      expect((await preview(h.id)).status).toBe('ok');
      // the agent shuts the runner out of its working directory's providers and backend settings
      expect(agentSync(['chmod', '700', join(dir, '.terraform')], dir).code).toBe(0);
      expect((await vote('approve', h.id)).code).toBe(0);
      const done = await h.done;
      expect(done.code).toBe(76);
      expect(done.stderr).toContain(
        `the runner user ${u.runner} cannot enter or read the Terraform working directory ${dir} or its .terraform; the approved saved plan was not applied; nothing was run`,
      );
      expect(f.state(dir)).toEqual([]);
      const end = (await ledger()).find((r) => r.type === 'exec_end' && r.payload['requestId'] === h.id);
      expect(end?.payload['executor']).toMatchObject({ ran: false });
      expect(existsSync(planFile(h.id))).toBe(false);
    },
  );
});
