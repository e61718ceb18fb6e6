/**
 * Applying exactly the previewed plan (decision 1086), with the real daemon and client: a held
 * `terraform apply` whose preview saved a plan runs `terraform apply <that plan>` once approved —
 * not a new plan of the configuration as it is by then — whether it waited, was re-run after
 * `--no-wait`, or came through the hook's `bash -c` form. A saved plan that changed or is gone
 * refuses the run (exit 76) and nothing is applied; a denied request's plan is removed.
 *
 * Each case runs twice: with the real terraform when the machine has one (only `terraform_data`
 * resources, so `terraform init` needs no provider download), and with the stand-in terraform of
 * test/preview/fixtures/bin, which keeps terraform's `plan -out=FILE` / `apply FILE` contract
 * (resources listed in a `desired` file, applied ones in `state`) so the cases run everywhere.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rig } from '../daemon/helpers.js';
import { FAKE_BIN } from '../preview/helpers.js';
const POLICY = `version: 1
default: allow
rules:
  - id: p.tf
    description: terraform changes infrastructure
    effect: approve
    match: { program: terraform, any_arg: [apply, destroy] }
`;

const realTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;

interface Flavour {
  name: string;
  skip: string | false;
  env: NodeJS.ProcessEnv;
  /** A working directory whose configuration wants these resources. */
  configure(dir: string, names: string[], init: boolean): void;
  /** The resources that exist. */
  state(dir: string): string[];
}

const real: Flavour = {
  name: 'real terraform',
  skip: realTerraform ? false : 'terraform is not installed (Debian ships none)',
  env: { TF_IN_AUTOMATION: '1' },
  configure(dir, names, init) {
    writeFileSync(
      join(dir, 'main.tf'),
      `variable "names" {\n  default = ${JSON.stringify(names)}\n}\nresource "terraform_data" "r" {\n  for_each = toset(var.names)\n  input    = each.key\n}\n`,
    );
    if (init) execFileSync('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, stdio: 'ignore' });
  },
  state(dir) {
    const r = spawnSync('terraform', ['state', 'list'], { cwd: dir, encoding: 'utf8' });
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
  env: { PATH: `${FAKE_BIN}:${process.env['PATH'] ?? '/usr/bin:/bin'}` },
  configure(dir, names) {
    writeFileSync(join(dir, 'desired'), names.map((n) => `${n}\n`).join(''));
  },
  state(dir) {
    return existsSync(join(dir, 'state'))
      ? readFileSync(join(dir, 'state'), 'utf8').split('\n').filter(Boolean).sort()
      : [];
  },
};

interface Preview {
  kind: string;
  status: string;
  text: string;
  sha256: string;
}

const LINE = /on approval guard runs `(.*)`: exactly this saved plan \(sha256 ([0-9a-f]{64})\)/;

describe.each([real, standIn])('apply exactly the saved plan: $name', (f) => {
  const rig = new Rig(POLICY, f.env);
  const plans = join(rig.env['GUARD_HOME']!, 'plans');
  beforeAll(async () => {
    if (f.skip !== false) return;
    await rig.startDaemon();
    await rig.enroll('alice', ['ops']);
  });
  afterAll(() => rig.cleanup());

  const workdir = (names: string[]): string => {
    const dir = mkdtempSync(join(rig.home, 'tf-'));
    f.configure(dir, names, true);
    return dir;
  };

  async function held(argv: string[], cwd: string) {
    const run = rig.spawnGuard(['exec', '--', ...argv], { cwd });
    const [, id] = await run.waitFor(/request (rq-[0-9a-f]{12}) is waiting/);
    const shown = JSON.parse((await rig.guard(['show', id!, '--json'])).stdout) as { view: { preview: Preview } };
    return { run, id: id!, preview: shown.view.preview };
  }

  it.skipIf(f.skip)(
    'an approved apply applies the previewed plan, not the configuration as it is by then',
    async () => {
      const dir = workdir(['a', 'b']);
      const h = await held(['terraform', 'apply', '-auto-approve'], dir);
      expect(h.preview).toMatchObject({ kind: 'terraform-plan', status: 'ok' });
      const line = LINE.exec(h.preview.text);
      const file = join(plans, `${h.id}.tfplan`);
      // shown to the approver (and covered by the preview hash the approval signs): what runs, which plan
      expect(line?.[1]).toBe(`terraform apply -input=false ${file}`);
      expect(line?.[2]).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
      expect(h.preview.text.split('\n').pop()).toBe(
        line?.[0] + ', not a new plan; the run is refused if the file changes or goes',
      );
      // the configuration changes while the request waits: a new plan would also create c
      f.configure(dir, ['a', 'b', 'c'], false);
      expect((await rig.approve(h.id, 'alice')).code).toBe(0);
      const done = await h.run.done;
      expect(done.code).toBe(0);
      expect(done.stderr).toContain(
        `guard: applying exactly the approved saved plan: terraform apply -input=false ${file}`,
      );
      expect(f.state(dir)).toEqual(['a', 'b']);
      // its only use is taken: the plan goes when the run ends
      await rig.ledger((recs) => recs.some((r) => r.type === 'exec_end' && r.payload['requestId'] === h.id));
      expect(existsSync(file)).toBe(false);
    },
  );

  it.skipIf(f.skip)(
    'a saved plan that changed after the preview refuses the run (exit 76); nothing is applied',
    async () => {
      const dir = workdir(['a']);
      const h = await held(['terraform', 'apply', '-auto-approve'], dir);
      const file = join(plans, `${h.id}.tfplan`);
      writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from('x')]));
      expect((await rig.approve(h.id, 'alice')).code).toBe(0);
      const done = await h.run.done;
      expect(done.code).toBe(76);
      expect(done.stderr).toMatch(
        /approved, but the saved plan \S+ changed \(sha256 [0-9a-f]{64}, approved [0-9a-f]{64}\)/,
      );
      expect(done.stderr).toContain('exactly the previewed plan cannot be applied; nothing was run');
      expect(f.state(dir)).toEqual([]);
      const ledger = await rig.ledger();
      expect(ledger.some((r) => r.type === 'exec_start' && r.payload['requestId'] === h.id)).toBe(false);
    },
  );

  it.skipIf(f.skip)('a saved plan that is gone refuses the run, also for the re-run after --no-wait', async () => {
    const dir = workdir(['a']);
    const first = await rig.guard(['exec', '--no-wait', '--', 'terraform', 'apply', '-auto-approve'], { cwd: dir });
    expect(first.code).toBe(75);
    const id = first.stdout.trim();
    expect((await rig.approve(id, 'alice')).code).toBe(0);
    rmSync(join(plans, `${id}.tfplan`));
    const rerun = await rig.guard(['exec', '--', 'terraform', 'apply', '-auto-approve'], { cwd: dir });
    expect(rerun.code).toBe(76);
    expect(rerun.stderr).toContain(`approved, but the saved plan ${join(plans, `${id}.tfplan`)} is gone`);
    expect(f.state(dir)).toEqual([]);
  });

  it.skipIf(f.skip)('the re-run after --no-wait applies the saved plan with the grant', async () => {
    const dir = workdir(['a', 'b']);
    const first = await rig.guard(['exec', '--no-wait', '--', 'terraform', 'apply', '-auto-approve'], { cwd: dir });
    expect(first.code).toBe(75);
    const id = first.stdout.trim();
    expect((await rig.approve(id, 'alice')).code).toBe(0);
    f.configure(dir, ['b'], false); // a new plan would now destroy a
    const rerun = await rig.guard(['exec', '--', 'terraform', 'apply', '-auto-approve'], { cwd: dir });
    expect(rerun.code).toBe(0);
    expect(f.state(dir)).toEqual(['a', 'b']);
  });

  it.skipIf(f.skip)("the hook's bash -c form applies the saved plan through the same shell", async () => {
    const dir = workdir(['a', 'b']);
    const h = await held(['bash', '-c', 'terraform apply -auto-approve'], dir);
    expect(LINE.exec(h.preview.text)?.[1]).toBe(`terraform apply -input=false ${join(plans, `${h.id}.tfplan`)}`);
    f.configure(dir, ['a', 'b', 'c'], false);
    expect((await rig.approve(h.id, 'alice')).code).toBe(0);
    const done = await h.run.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('applying exactly the approved saved plan: bash -c terraform apply -input=false');
    expect(f.state(dir)).toEqual(['a', 'b']);
  });

  it.skipIf(f.skip)('a denied request leaves no saved plan behind', async () => {
    const dir = workdir(['a']);
    const h = await held(['terraform', 'apply'], dir);
    const file = join(plans, `${h.id}.tfplan`);
    expect(existsSync(file)).toBe(true);
    expect(
      (await rig.guard(['deny', h.id, '--as', 'alice', '--passphrase-file', rig.passFile('alice'), '--reason', 'no']))
        .code,
    ).toBe(0);
    expect((await h.run.done).code).toBe(76);
    expect(existsSync(file)).toBe(false);
    expect(f.state(dir)).toEqual([]);
  });
});
