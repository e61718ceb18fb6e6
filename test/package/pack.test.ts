/**
 * What `npm pack` puts in the package (scripts/test-pack-install.sh, run by .ci/run, installs the
 * real tarball globally and runs it): the LICENSE, the docs and the Slack manifest the README
 * links to, the built CLI with its policy snapshots — and no source maps.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

describe('the npm package', () => {
  it('is publishable under its own name, builds before packing, and keeps the command `guard`', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg['private']).toBeUndefined();
    expect(pkg['name']).toBe('agent-guard-cli');
    expect(pkg['license']).toBe('MIT');
    // a POSIX shim that runs the native exec client when built, else the Node CLI (decision 0020)
    expect(pkg['bin']).toEqual({ guard: 'bin/guard' });
    expect((pkg['scripts'] as Record<string, string>)['prepack']).toBe('npm run build');
  });

  it('packs the license, docs, Slack manifest, CLI and policies, and no source maps', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const f of [
      'LICENSE',
      'README.md',
      'bin/guard',
      'bin/guard.js',
      'dist/guard.js',
      'dist/policy-snapshots.json',
      'docs/architecture.md',
      'channels/slack-app-manifest.yaml',
      'channels/teams-approval-flow.json',
      'channels/teams-grant-flow.json',
      'policies/00-base.yaml',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });
});
