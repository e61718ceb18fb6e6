/** Shared by the preview tests: the stand-in tools and real decisions of a policy that holds everything. */
import { resolve } from 'node:path';
import { compilePolicy, createEngine } from '../../src/policy/index.js';
import type { Decision } from '../../src/policy/types.js';
import { ROOT } from '../daemon/helpers.js';

/** Stand-ins for terraform and kubectl (each documents the contract it keeps). */
export const FAKE_BIN = resolve(ROOT, 'test', 'preview', 'fixtures', 'bin');

/** The real engine's decision on argv under a policy whose one rule holds every program. */
export async function heldJudge(): Promise<(argv: string[]) => Decision> {
  const engine = await createEngine();
  const policy = compilePolicy(
    [
      {
        file: 'p.yaml',
        layer: 'explicit',
        text: `version: 1
rules:
  - { id: a, description: everything is held, effect: approve, match: { program: '*' } }
`,
      },
    ],
    { engine },
  ).policy;
  return (argv) => engine.evaluate({ argv, cwd: '/', requester: { user: 'u' } }, policy);
}
