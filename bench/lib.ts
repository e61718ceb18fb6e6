import { spawnSync } from 'node:child_process';

/** Wall time of one run of a command, in ms. */
export function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: 'ignore', env });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return t;
}

export function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[idx]!;
}

export const median = (v: number[]): number => quantile(v, 0.5);

/** Interleave runs of several commands so that machine noise hits them alike. */
export function interleaved(runs: number, cases: Record<string, () => number>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const k of Object.keys(cases)) out[k] = [];
  for (let i = 0; i < runs; i++) for (const [k, f] of Object.entries(cases)) out[k]!.push(f());
  return out;
}

export function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}
