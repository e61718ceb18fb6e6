import { hostname, userInfo } from 'node:os';
import { detectAgent, detectCi, onBehalfOf } from './agent.js';
import { awsInfo, gcloudInfo, terraformInfo } from './cloud.js';
import { gitInfo } from './git.js';
import { resolveProgramCached } from './hashcache.js';
import { kubeInfo } from './kube.js';
import { parentChain, ttyOf } from './procs.js';
import { resolveProgram } from './program.js';
import { ticketFromBranch } from './ticket.js';
import type { Env, RequestContext } from './types.js';

/** Programs whose tool config files are worth reading (reading kubeconfig for `ls` is waste). */
const KUBE = new Set([
  'kubectl',
  'helm',
  'oc',
  'kustomize',
  'flux',
  'argocd',
  'k9s',
  'kubectx',
  'kubens',
  'skaffold',
  'helmfile',
  'velero',
  'istioctl',
  'linkerd',
  'kubeseal',
]);
const AWS = new Set([
  'aws',
  'sam',
  'cdk',
  'eksctl',
  'terraform',
  'tofu',
  'terragrunt',
  'pulumi',
  'copilot',
  'chalice',
  'serverless',
  'sls',
]);
const GCLOUD = new Set(['gcloud', 'gsutil', 'bq', 'terraform', 'tofu', 'terragrunt', 'pulumi']);
const TERRAFORM = new Set(['terraform', 'tofu', 'terragrunt']);

/** Every program-like word in argv, including inside `bash -c '…'` scripts. */
function mentionedPrograms(argv: string[]): Set<string> {
  const out = new Set<string>();
  for (const a of argv) {
    for (const w of a.slice(0, 64 * 1024).split(/[\s;&|()'"`]+/))
      if (w !== '') out.add(w.slice(w.lastIndexOf('/') + 1));
  }
  return out;
}

/** Run one gatherer; anything it throws becomes "field omitted". */
async function safe<T>(f: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await f();
  } catch {
    return undefined;
  }
}

function whoami(env: Env): { user: string; uid: number } {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  try {
    return { user: userInfo().username, uid };
  } catch {
    return { user: env['USER'] ?? env['LOGNAME'] ?? `uid:${uid}`, uid };
  }
}

/**
 * Everything a reviewer should see about where and for whom a command runs, read from the
 * environment, /proc and the tools' own config files, without running any tool. Never throws:
 * whatever cannot be read is omitted. The result is NOT redacted: pass it through redactDeep
 * before it leaves the process.
 */
export async function gatherContext(opts: {
  env: Env;
  cwd: string;
  argv: string[];
  pid?: number;
  /** Optional program-hash cache file (see hashcache.ts for when it is safe). */
  programCache?: string;
  /**
   * Quick mode skips the two costly parts — hashing the program and scanning the work tree for
   * changes — which a reviewer needs but an allowed command does not. The exec client starts
   * quick and sends the full context only when the daemon holds the command for approval.
   */
  quick?: boolean;
  /** false: do not resolve or hash the program (the exec client holds and hashes it itself). */
  program?: false | undefined;
}): Promise<RequestContext> {
  const { env, cwd, argv } = opts;
  const pid = opts.pid ?? process.pid;
  const progs = mentionedPrograms(argv);
  const has = (s: Set<string>): boolean => [...s].some((p) => progs.has(p));
  const [parents, tty, git, kube, aws, gcloud, terraform, program] = await Promise.all([
    safe(() => parentChain(pid)),
    safe(() => ttyOf(pid)),
    safe(() => gitInfo(cwd, { dirty: opts.quick !== true })),
    has(KUBE) ? safe(() => kubeInfo(env, argv)) : undefined,
    safe(() => awsInfo(env, argv, has(AWS))),
    safe(() => gcloudInfo(env, argv, has(GCLOUD))),
    safe(() => terraformInfo(env, argv, cwd, has(TERRAFORM))),
    argv[0] === undefined || opts.quick === true || opts.program === false
      ? undefined
      : safe(() =>
          opts.programCache === undefined
            ? resolveProgram(argv[0]!, env, cwd)
            : resolveProgramCached(argv[0]!, env, cwd, opts.programCache),
        ),
  ]);
  const chain = parents ?? [];
  const { agent, session } = detectAgent(env, chain);
  const ci = detectCi(env);
  const behalf = onBehalfOf(env);
  const termProgram = env['TERM_PROGRAM'];
  const terminal = [termProgram, tty].filter((x) => x !== undefined && x !== '').join(' ');
  const ticket = git?.branch === undefined ? undefined : ticketFromBranch(git.branch);
  let host = 'unknown';
  try {
    host = hostname();
  } catch {
    // keep 'unknown'
  }
  return {
    requester: {
      ...whoami(env),
      host,
      pid,
      parents: chain.map((p) => ({ pid: p.pid, name: p.name })),
      ...(agent !== undefined ? { agent } : ci !== undefined ? { agent: 'ci' } : {}),
      ...(session === undefined ? {} : { agentSession: session }),
      ...(behalf === undefined ? {} : { onBehalfOf: behalf }),
    },
    ...(ci === undefined ? {} : { ci }),
    ...(terminal === '' ? {} : { terminal }),
    cwd,
    ...(git === undefined ? {} : { git }),
    ...(kube === undefined ? {} : { kube }),
    ...(aws === undefined ? {} : { aws }),
    ...(gcloud === undefined ? {} : { gcloud }),
    ...(terraform === undefined ? {} : { terraform }),
    ...(ticket === undefined ? {} : { ticket }),
    ...(program === undefined ? {} : { program }),
  };
}
