/**
 * `guard init` and `guard doctor` (src/integrations/) call the ledger functions directly; they never
 * re-enter the CLI. Bundle the CLI as scripts/build.mjs does (in memory) and follow every import
 * that survives compilation (static and dynamic; type-only imports are erased) from each
 * integrations module: the only CLI module reachable is the stream helper src/cli/io.ts, which
 * imports nothing, so there is no cli ↔ integrations cycle.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleOptions } from '../../scripts/bundle-options.mjs';

describe('integrations do not re-enter the CLI', () => {
  it('reach no src/cli module but the leaf io.ts', async () => {
    const result = await build({
      ...bundleOptions,
      outdir: '/tmp/guard-cycle-check',
      write: false,
      metafile: true,
      sourcemap: false,
      logLevel: 'silent',
    });
    const inputs = result.metafile.inputs;
    const starts = Object.keys(inputs).filter((k) => k.startsWith('src/integrations/'));
    expect(starts).toContain('src/integrations/doctor/checks.ts');
    const seen = new Set<string>();
    const stack = [...starts];
    while (stack.length > 0) {
      const k = stack.pop()!;
      if (seen.has(k)) continue;
      seen.add(k);
      for (const imp of inputs[k]?.imports ?? []) if (imp.path.startsWith('src/')) stack.push(imp.path);
    }
    expect([...seen].filter((k) => k.startsWith('src/cli/')).sort()).toEqual(['src/cli/io.ts']);
    expect(inputs['src/cli/io.ts']?.imports.filter((i) => i.path.startsWith('src/'))).toEqual([]);
  });
});
