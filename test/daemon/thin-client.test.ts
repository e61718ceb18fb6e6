/**
 * `guard exec` and `guard hook` must stay thin clients: bundle the CLI as scripts/build.mjs does
 * (in memory) and walk what the command loads — the entry's static imports, then the command's
 * chunk and its static imports. None of the heavy or daemon-only modules may be on that path.
 */
import { build } from 'esbuild';
import ts from 'typescript';
import { bundleOptions, daemonBundleOptions } from '../../scripts/bundle-options.mjs';
import { describe, expect, it, vi } from 'vitest';

const FORBIDDEN = [
  /node_modules\/better-sqlite3\//,
  /node_modules\/web-tree-sitter\//,
  /node_modules\/(react|ink|react-reconciler)\//,
  /node_modules\/zod\//,
  /node_modules\/yaml\//,
  /node_modules\/@slack\//,
  /^src\/(policy|ledger|channels|tui|approval)\//,
  /^src\/daemon\/(daemon|server|store|machine|policy-host|schemas|handlers\/)/,
];

/**
 * Bundle the CLI in memory; return the inputs loaded by the entry plus the chunk holding `source`
 * (its static imports, and with `dynamic` also everything it may import lazily).
 */
async function loadedWith(source: string, dynamic = false): Promise<string[]> {
  const result = await build({
    ...bundleOptions,
    outdir: '/tmp/guard-thin-check',
    write: false,
    metafile: true,
    sourcemap: false,
    logLevel: 'silent',
  });
  const outs = result.metafile.outputs;
  const entry = Object.keys(outs).find((k) => k.endsWith('/guard.js'))!;
  const chunk = Object.keys(outs).find((k) => Object.keys(outs[k]!.inputs).includes(source))!;
  expect(chunk).toBeDefined();
  const seen = new Set<string>();
  const walk = (k: string, lazy: boolean): void => {
    const out = outs[k];
    if (seen.has(k) || out === undefined) return;
    seen.add(k);
    for (const imp of out.imports)
      if (imp.kind === 'import-statement' || (lazy && imp.kind === 'dynamic-import')) walk(imp.path, lazy);
  };
  walk(entry, false);
  walk(chunk, dynamic);
  return [...seen].flatMap((k) => Object.keys(outs[k]!.inputs));
}

describe('thin exec client', () => {
  it('loads no SQLite, tree-sitter, UI, zod, policy, ledger or daemon-side module', async () => {
    const inputs = await loadedWith('src/cli/commands/exec.ts');
    expect(inputs).toContain('src/cli/commands/exec.ts');
    expect(inputs).toContain('src/daemon/client.ts');
    // the one policy module a hook may load: a list of paths with no imports (decision 0124)
    const light = new Set(['src/policy/programs/autoexec-paths.ts']);
    const heavy = inputs.filter((i) => !light.has(i) && FORBIDDEN.some((re) => re.test(i)));
    expect(heavy).toEqual([]);
  });

  it('the policy module the hook may load imports nothing', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile('src/policy/programs/autoexec-paths.ts', 'utf8');
    expect(text).not.toMatch(/^\s*import\b/m);
  });
});

describe('thin agent hook', () => {
  it('asks the daemon and loads no policy engine, tree-sitter, SQLite, zod or yaml', async () => {
    // lazily imported modules count too: the hook may start the daemon, nothing else
    const inputs = await loadedWith('src/cli/commands/hook.ts', true);
    expect(inputs).toContain('src/daemon/launch.ts');
    expect(inputs).toContain('src/cli/commands/hook.ts');
    expect(inputs).toContain('src/integrations/ask.ts');
    expect(inputs).toContain('src/daemon/client.ts');
    // the one policy module a hook may load: a list of paths with no imports (decision 0124)
    const light = new Set(['src/policy/programs/autoexec-paths.ts']);
    const heavy = inputs.filter((i) => !light.has(i) && FORBIDDEN.some((re) => re.test(i)));
    expect(heavy).toEqual([]);
  });

  it('the policy module the hook may load imports nothing', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile('src/policy/programs/autoexec-paths.ts', 'utf8');
    expect(text).not.toMatch(/^\s*import\b/m);
  });

  it('answers through the fast path without commander or any command declaration', async () => {
    // src/main.ts → src/cli/fast-hook.ts → src/cli/commands/hook.ts, lazily imported modules included
    const inputs = await loadedWith('src/cli/fast-hook.ts', true);
    expect(inputs).toContain('src/cli/commands/hook.ts');
    const cli = inputs.filter((i) => /node_modules\/commander\/|^src\/cli\/(program|registry|specs\/)/.test(i));
    expect(cli).toEqual([]);
  });
});

describe('guard requests (decision 0033)', () => {
  it('lists through the fast path without commander, any command declaration or zod', async () => {
    // src/main.ts → src/cli/fast-requests.ts → src/cli/commands/requests.ts and their static imports
    const inputs = [
      ...(await loadedWith('src/cli/fast-requests.ts')),
      ...(await loadedWith('src/cli/commands/requests.ts')),
    ];
    expect(inputs).toContain('src/cli/fast-requests.ts');
    expect(inputs).toContain('src/cli/commands/requests.ts');
    expect(inputs).toContain('src/daemon/reply-shapes.ts');
    const cli = inputs.filter((i) => /node_modules\/commander\/|^src\/cli\/(program|registry|specs\/)/.test(i));
    expect(cli).toEqual([]);
    expect(inputs.filter((i) => FORBIDDEN.some((re) => re.test(i)))).toEqual([]);
    expect(inputs).not.toContain('src/daemon/replies.ts');
  });

  it('loads zod only to check an answer that does not fit its shape', async () => {
    // lazily imported modules included: zod arrives with src/daemon/replies.ts, and only that way
    const lazy = await loadedWith('src/cli/commands/requests.ts', true);
    expect(lazy).toContain('src/daemon/replies.ts');
  });
});

describe('daemon start-up (decision 0040)', () => {
  it('loads no PostgreSQL client and no zod message locale but English before it serves', async () => {
    // what a starting daemon loads: the CLI, then the daemon's chunk and its static imports
    const inputs = await loadedWith('src/daemon/daemon.ts');
    expect(inputs).toContain('src/preview/run.ts');
    expect(inputs.filter((i) => /node_modules\/(pg|pg-[a-z-]+)\//.test(i))).toEqual([]);
    const locales = inputs.filter((i) => /node_modules\/zod\/v4\/locales\//.test(i));
    expect(locales).toEqual([expect.stringMatching(/\/locales\/en\.js$/)]);
    // a row-count preview still reaches pg, lazily
    expect(await loadedWith('src/preview/pg-client.ts')).toContain('src/preview/pg-client.ts');
  });
});

describe('daemon start-up (decision 0041)', () => {
  it('`guard daemon start --foreground` builds no commander CLI: no commander, program or command registry', async () => {
    // what the daemon process loads: the entry, the fast path's chunk, then the daemon's chunk
    const inputs = [...(await loadedWith('src/cli/fast-daemon.ts')), ...(await loadedWith('src/daemon/daemon.ts'))];
    expect(inputs).toContain('src/cli/fast-daemon.ts');
    expect(inputs).toContain('src/cli/commands/daemon-foreground.ts');
    const cli = inputs.filter((i) =>
      /node_modules\/commander\/|^src\/cli\/(program|registry|run)\.ts$|^src\/cli\/specs\/|^src\/cli\/commands\/daemon\.ts$/.test(
        i,
      ),
    );
    expect(cli).toEqual([]);
  });
});

describe('daemon start-up (decision 0043): the daemon bundle', () => {
  it('holds the daemon and no commander CLI, PostgreSQL or Slack client, nor zod locales but English', async () => {
    const result = await build({
      ...daemonBundleOptions,
      outfile: '/tmp/guard-thin-check/daemon.cjs',
      write: false,
      metafile: true,
      sourcemap: false,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('src/daemon-entry.ts');
    expect(inputs).toContain('src/daemon/daemon.ts');
    const cli = inputs.filter((i) =>
      /node_modules\/commander\/|^src\/cli\/(program|registry|run)\.ts$|^src\/cli\/specs\/|^src\/cli\/commands\/daemon\.ts$/.test(
        i,
      ),
    );
    expect(cli).toEqual([]);
    // required from node_modules when a channel or a row-count preview first needs them
    expect(inputs.filter((i) => /node_modules\/(pg|pg-[a-z-]+|@slack\/[a-z-]+|undici)\//.test(i))).toEqual([]);
    const locales = inputs.filter((i) => /node_modules\/zod\/v4\/locales\//.test(i));
    expect(locales).toEqual([expect.stringMatching(/\/locales\/en\.js$/)]);
    // and the terminal UI's framework stays out: a daemon never draws (it shares only text formatting)
    expect(inputs.filter((i) => /node_modules\/(react|ink|react-reconciler)\//.test(i))).toEqual([]);
  });
});

describe('daemon start-up (decision 0041): schemas', () => {
  it('no module a starting daemon loads builds a zod schema at load: each is built on first use (lazily)', async () => {
    const { readFile } = await import('node:fs/promises');
    const inputs = [
      ...(await loadedWith('src/cli/fast-daemon.ts')),
      ...(await loadedWith('src/daemon/daemon.ts')),
    ].filter((i) => i.startsWith('src/'));
    const eager: string[] = [];
    let zodModules = 0;
    for (const file of new Set(inputs)) {
      const text = await readFile(file, 'utf8');
      if (!/^import \{ z \} from 'zod';$/m.test(text)) continue;
      zodModules++;
      const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      // a top-level statement that runs zod: anything but a function, a type or a lazily(…) value
      const runsZod = (node: ts.Node): boolean => {
        if (ts.isArrowFunction(node) || ts.isFunctionLike(node)) return false;
        if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'lazily')
          return false;
        if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'z')
          return true;
        return ts.forEachChild(node, (c) => (runsZod(c) ? true : undefined)) === true;
      };
      for (const st of src.statements) {
        if (ts.isTypeAliasDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isImportDeclaration(st)) continue;
        if (runsZod(st)) eager.push(`${file}:${src.getLineAndCharacterOfPosition(st.getStart()).line + 1}`);
      }
    }
    expect(zodModules).toBeGreaterThanOrEqual(5);
    expect(eager).toEqual([]);
  });
});

describe('daemon start-up (decision 0041): nothing lazy is built by loading', () => {
  it("importing the daemon process's modules (fast path, daemon) builds no lazily schema", async () => {
    vi.resetModules();
    await import('../../src/cli/fast-daemon.js');
    await import('../../src/daemon/daemon.js');
    const { lazilyBuilt } = await import('../../src/util/lazily.js');
    expect(lazilyBuilt()).toBe(0);
    // the same module instance counts a build at first use
    const { signedDecisionSchema } = await import('../../src/approval/schema.js');
    expect(signedDecisionSchema.safeParse({}).success).toBe(false);
    expect(lazilyBuilt()).toBeGreaterThan(0);
  });
});
