/** What a reviewer sees about where and why a command runs. Every field is best effort. */
export interface RequestContext {
  requester: {
    user: string;
    uid: number;
    host: string;
    pid: number;
    parents: { pid: number; name: string }[];
    agent?: string;
    agentSession?: string;
    onBehalfOf?: string;
  };
  ci?: { provider: string; job?: string; url?: string; run?: string };
  terminal?: string;
  cwd: string;
  git?: { root: string; remote?: string; branch?: string; commit?: string; dirty?: boolean };
  kube?: { context?: string; namespace?: string };
  aws?: { profile?: string; region?: string };
  gcloud?: { project?: string };
  terraform?: { workspace?: string };
  ticket?: string;
  program?: { path: string; sha256: string };
}

export type Env = NodeJS.ProcessEnv;
