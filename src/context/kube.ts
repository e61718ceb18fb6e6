import { join } from 'node:path';
import { flagValue, readSmall } from './fsutil.js';
import type { Env } from './types.js';

/** Files named by KUBECONFIG (colon-separated; the first that sets a value wins), else ~/.kube/config. */
export function kubeconfigPaths(env: Env): string[] {
  const list = (env['KUBECONFIG'] ?? '').split(':').filter((p) => p !== '');
  if (list.length > 0) return list;
  const home = env['HOME'];
  return home === undefined || home === '' ? [] : [join(home, '.kube', 'config')];
}

interface KubeDoc {
  currentContext?: string;
  namespaces: Map<string, string>;
}

async function readDoc(path: string): Promise<KubeDoc | undefined> {
  const text = await readSmall(path);
  if (text === undefined) return undefined;
  try {
    const { parse } = await import('yaml');
    const doc = parse(text) as unknown;
    if (doc === null || typeof doc !== 'object') return undefined;
    const d = doc as Record<string, unknown>;
    const out: KubeDoc = { namespaces: new Map() };
    if (typeof d['current-context'] === 'string' && d['current-context'] !== '')
      out.currentContext = d['current-context'];
    if (Array.isArray(d['contexts'])) {
      for (const c of d['contexts'] as unknown[]) {
        if (c === null || typeof c !== 'object') continue;
        const name = (c as Record<string, unknown>)['name'];
        const ctx = (c as Record<string, unknown>)['context'];
        const ns = ctx !== null && typeof ctx === 'object' ? (ctx as Record<string, unknown>)['namespace'] : undefined;
        if (typeof name === 'string' && typeof ns === 'string') out.namespaces.set(name, ns);
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/** kubectl/helm context and namespace: argv overrides, then the kubeconfig files, without running kubectl. */
export async function kubeInfo(
  env: Env,
  argv: string[],
): Promise<{ context?: string; namespace?: string } | undefined> {
  const docs = (await Promise.all(kubeconfigPaths(env).map(readDoc))).filter((d) => d !== undefined);
  const context =
    flagValue(argv, ['--context', '--kube-context']) ??
    docs.find((d) => d.currentContext !== undefined)?.currentContext;
  let namespace = flagValue(argv, ['-n', '--namespace']) ?? env['HELM_NAMESPACE'];
  if ((namespace === undefined || namespace === '') && context !== undefined) {
    namespace = docs.find((d) => d.namespaces.has(context))?.namespaces.get(context) ?? 'default';
  }
  if (context === undefined && (namespace === undefined || namespace === '')) return undefined;
  return {
    ...(context === undefined ? {} : { context }),
    ...(namespace === undefined || namespace === '' ? {} : { namespace }),
  };
}
