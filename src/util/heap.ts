/**
 * Keeping a long synchronous pass that allocates fast (the evidence pack writing its OSCAL and
 * OCSF files) near its live size. V8 lets the old generation grow to several times the live data
 * before a full collection when allocation is fast: a pack whose live data was ~80 MB peaked at
 * ~590 MB RSS. A full collection every `every` calls bounds that at a few percent of CPU
 * (decision 0216). Without a way to collect, it does nothing.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    collect = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/** A function to call once per unit of work; every `every` calls it runs a full collection. */
export function compactEvery(every: number): () => void {
  const gc = collector();
  let n = 0;
  return () => {
    if (gc !== null && ++n % every === 0) gc();
  };
}

/** A full collection now, where a phase has just dropped a lot (no-op without a way to collect). */
export function collectNow(): void {
  collector()?.();
}
