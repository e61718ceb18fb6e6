/**
 * Runs the real agent clients (installed in test/agents/node_modules by `.ci/run`) headless against
 * the fake model server, in a scratch HOME after `guard init --agent …`, with guard's daemon,
 * policy and ledger real. Marker programs on the client's PATH write a line to the file they are
 * given, so a test sees exactly what ran; the ledger shows what guard recorded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_ENV_VARS } from '../../src/approval/agent-env.js';
import { BIN } from '../helpers/cli.js';
import { scriptPrompt, type FakeModel } from './fake-model.js';

export const CLIENTS_DIR = join(import.meta.dirname, 'node_modules');
const BINS = { claude: 'claude', codex: 'codex', gemini: 'gemini' } as const;
export type Client = keyof typeof BINS;

/** Why the client tests cannot run here (undefined when they can). */
export function clientsMissing(): string | undefined {
  const missing = Object.values(BINS).filter((b) => !existsSync(join(CLIENTS_DIR, '.bin', b)));
  return missing.length === 0
    ? undefined
    : `the real agent clients are not installed (${missing.join(', ')} missing in test/agents/node_modules): run \`npm ci --prefix test/agents\` (CI does)`;
}

/** deny, hold and allow by program name (mkfs* for init's self-test): each case names its marker program. */
export const AGENTS_POLICY = `version: 1
default: allow
on_unresolved: approve
rules:
  - id: agents.deny
    description: a program the policy denies
    effect: deny
    match: { program: [denied-mark, 'mkfs*'] }
  - id: agents.hold
    description: a program that waits for a human
    effect: approve
    match: { program: [held-mark, own-denied-mark] }
    approval: { timeout: 5m }
`;

const MARK = `#!/bin/sh
# append this program's name and its argument count to the file given as $1 (proof that it ran)
printf '%s %s\\n' "$(basename "$0")" "$#" >> "$1"
`;

/**
 * The marker programs: allowed, denied and held by guard's policy; `own-denied-mark` is held by
 * guard and refused by each client's own rule (configureClient).
 */
const MARKERS = ['allowed-mark', 'denied-mark', 'held-mark', 'own-denied-mark'];

export interface Scratch {
  root: string;
  /** The agent's HOME (its client settings, guard's hook entry). */
  home: string;
  /** The project directory the client works in. */
  work: string;
  /** Directory of the marker programs (MARKERS); use absolute paths. */
  bin: string;
  guardHome: string;
  /** Environment of the human (no agent markers): `guard approve`, `guard ledger show`. */
  env: NodeJS.ProcessEnv;
  passFile: string;
  cleanup(): void;
}

/** A scratch HOME with guard initialised for `agent` and an approver `alice` enrolled. */
export async function scratch(agent: 'claude-code' | 'codex' | 'gemini'): Promise<Scratch> {
  const root = mkdtempSync(join(tmpdir(), 'guard-agents-'));
  const dirs = ['home', 'work', 'bin', 'defaults', 'system', 'approver'].map((d) => join(root, d));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const [home, work, bin, defaults, system, approver] = dirs as [string, string, string, string, string, string];
  for (const name of MARKERS) {
    writeFileSync(join(bin, name), MARK);
    chmodSync(join(bin, name), 0o755);
  }
  writeFileSync(join(defaults, 'agents.yaml'), AGENTS_POLICY);
  const guardHome = join(root, 'guard');
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
    HOME: home,
    LANG: 'C.UTF-8',
    GUARD_HOME: guardHome,
    GUARD_DEFAULT_POLICIES: defaults,
    GUARD_SYSTEM_POLICIES: system,
    GUARD_SELF: BIN,
    GUARD_KEYSTORE: 'file',
    GUARD_APPROVER_HOME: approver,
  };
  for (const k of AGENT_ENV_VARS) delete env[k];
  const init = await run(process.execPath, [BIN, 'init', '--agent', agent, '--yes'], { env, cwd: work });
  if (init.code !== 0)
    throw new Error(`guard init --agent ${agent} failed (${init.code}): ${init.stdout}${init.stderr}`);
  const passFile = join(root, 'alice.pass');
  writeFileSync(passFile, 'correct horse alice battery staple\n', { mode: 0o600 });
  const enroll = await run(
    process.execPath,
    [BIN, 'approver', 'enroll', '--name', 'alice', '--group', 'ops', '--passphrase-file', passFile],
    { env, cwd: work },
  );
  if (enroll.code !== 0) throw new Error(`enroll failed: ${enroll.stderr}`);
  return {
    root,
    home,
    work,
    bin,
    guardHome,
    env,
    passFile,
    cleanup() {
      spawnSync(process.execPath, [BIN, 'daemon', 'stop'], { env, stdio: 'ignore', timeout: 20_000 });
      rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  o: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number },
): Promise<Run> {
  return new Promise((resolve) => {
    // its own process group: a client that re-launches itself (Gemini CLI) is killed whole on timeout
    const child = spawn(cmd, args, { env: o.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, o.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Client configuration beyond guard's hook: the fake model, headless settings, the client's own rules. */
export function configureClient(client: Client, s: Scratch, model: FakeModel): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...s.env };
  switch (client) {
    case 'claude': {
      const file = join(s.home, '.claude', 'settings.json');
      const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      // Claude's own rules: the marker programs and guard itself run without a prompt, rm and
      // own-denied-mark are refused
      settings['permissions'] = {
        allow: [
          ...['allowed-mark', 'denied-mark', 'held-mark'].map((p) => `Bash(${join(s.bin, p)}:*)`),
          `Bash(${process.execPath}:*)`,
        ],
        deny: ['Bash(rm:*)', `Bash(${join(s.bin, 'own-denied-mark')}:*)`],
      };
      writeFileSync(file, JSON.stringify(settings, null, 2));
      Object.assign(env, {
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: 'sk-ant-test',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_AUTOUPDATER: '1',
      });
      return env;
    }
    case 'codex': {
      const dir = join(s.home, '.codex');
      mkdirSync(join(dir, 'rules'), { recursive: true });
      writeFileSync(
        join(dir, 'config.toml'),
        `model = "gpt-test"
model_provider = "fake"
[model_providers.fake]
name = "fake"
base_url = "${model.url}/v1"
wire_api = "responses"
env_key = "FAKE_API_KEY"
request_max_retries = 0
stream_max_retries = 0
`,
      );
      // Codex's own rules: rm and own-denied-mark are forbidden
      writeFileSync(
        join(dir, 'rules', 'default.rules'),
        `prefix_rule(pattern=["rm"], decision="forbidden")\nprefix_rule(pattern=[${JSON.stringify(join(s.bin, 'own-denied-mark'))}], decision="forbidden")\n`,
      );
      Object.assign(env, { FAKE_API_KEY: 'sk-test', CODEX_HOME: dir });
      return env;
    }
    case 'gemini': {
      const file = join(s.home, '.gemini', 'settings.json');
      const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      settings['security'] = { auth: { selectedType: 'gemini-api-key' } };
      writeFileSync(file, JSON.stringify(settings, null, 2));
      // Gemini's own rules: a user-tier policy (above the yolo allow-all) denies rm and own-denied-mark
      mkdirSync(join(s.home, '.gemini', 'policies'), { recursive: true });
      writeFileSync(
        join(s.home, '.gemini', 'policies', 'own.toml'),
        `[[rule]]
toolName = "run_shell_command"
commandPrefix = ["rm", ${JSON.stringify(join(s.bin, 'own-denied-mark'))}]
decision = "deny"
priority = 500
denyMessage = "refused by the user's own Gemini policy"
`,
      );
      Object.assign(env, {
        GEMINI_API_KEY: 'test-key',
        GOOGLE_GEMINI_BASE_URL: model.url,
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
      });
      return env;
    }
  }
}

/**
 * Run the client headless on one scripted command. `lets` = the client's own settings let the
 * command run without its prompt: Claude Code asks about guard's rewritten line of a held command
 * (decision 0815) and cannot ask headless, so such runs use its bypassPermissions mode (which still
 * applies its deny rules); the other clients need nothing more.
 */
export function runClient(
  client: Client,
  env: NodeJS.ProcessEnv,
  s: Scratch,
  command: string,
  o: { lets?: boolean; timeoutMs?: number } = {},
): Promise<Run> {
  const exe = join(CLIENTS_DIR, '.bin', BINS[client]);
  const prompt = scriptPrompt(command);
  const lets = o.lets === true && client === 'claude';
  const args =
    client === 'claude'
      ? ['-p', prompt, '--output-format', 'json', ...(lets ? ['--permission-mode', 'bypassPermissions'] : [])]
      : client === 'codex'
        ? [
            'exec',
            '--skip-git-repo-check',
            '--sandbox',
            'danger-full-access',
            '--dangerously-bypass-hook-trust',
            prompt,
          ]
        : ['-p', prompt, '--approval-mode', 'yolo', '--output-format', 'json'];
  // Claude Code refuses bypassPermissions as root outside a sandbox it knows of (CI runs as root)
  return run(exe, args, {
    env: lets ? { ...env, IS_SANDBOX: '1' } : env,
    cwd: s.work,
    timeoutMs: o.timeoutMs ?? 120_000,
  });
}

/** Lines of a marker file (the names of the marker programs that ran). */
export function marks(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

export interface LedgerRecord {
  type: string;
  payload: Record<string, unknown>;
}

/** The ledger as `guard ledger show --json` prints it. */
export async function ledger(s: Scratch): Promise<LedgerRecord[]> {
  const r = await run(process.execPath, [BIN, 'ledger', 'show', '--json'], { env: s.env, cwd: s.work });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LedgerRecord);
}
