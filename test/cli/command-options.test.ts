/**
 * Each command's options reach its implementation typed from its own declaration: the checks in
 * this file are compile-time (`npx tsc -p tsconfig.json` fails if one stops holding); the runtime
 * cases show that the values commander parses are the ones the types describe.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineCommand, type Declaration, type OptionsOf } from '../../src/cli/command.js';
import type { DecideOptions, RevokeOptions, WaitOptions } from '../../src/cli/specs/decide.js';
import type { LedgerVerifyOptions } from '../../src/cli/specs/ledger.js';
import type { ExecOptions } from '../../src/cli/specs/exec.js';
import type { ApproverEnrollOptions } from '../../src/cli/specs/approver.js';
import type { revokeCommand } from '../../src/cli/commands/revoke.js';
import { parseExecArgs } from '../../src/cli/fast-exec.js';
import { guardInProcess } from '../helpers/inprocess.js';

describe('command options are typed from the declaration', () => {
  it('derives each option type from its flag (value, boolean, negated, parsed, repeatable, required)', () => {
    expectTypeOf<RevokeOptions>().toEqualTypeOf<{ reason?: string | undefined }>();
    expectTypeOf<WaitOptions>().toEqualTypeOf<{ timeout?: string | undefined; json?: true | undefined }>();
    expectTypeOf<ExecOptions['wait']>().toEqualTypeOf<boolean>(); // --no-wait
    expectTypeOf<ApproverEnrollOptions['passphraseFd']>().toEqualTypeOf<number | undefined>(); // parsed
    expectTypeOf<ApproverEnrollOptions['group']>().toEqualTypeOf<string[]>(); // required, repeatable
    expectTypeOf<LedgerVerifyOptions['witness']>().toEqualTypeOf<string[] | undefined>();
    // `guard approve|deny|ask` share one implementation that reads the options of all three
    expectTypeOf<DecideOptions['question']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<DecideOptions['thisSession']>().toEqualTypeOf<true | undefined>();
  });

  it('makes a renamed or removed flag a compile error where it is read', () => {
    const declaration = (cmd: Declaration) => cmd.argument('<id>').option('--why <text>');
    const spec = defineCommand({
      name: 'renamed',
      summary: 'a command whose --reason became --why',
      define: declaration,
      run(_io, [id], opts) {
        // @ts-expect-error -- --reason is no longer declared
        const reason: unknown = opts.reason;
        expectTypeOf(id).toEqualTypeOf<string>();
        return Promise.resolve(reason === undefined && opts.why === undefined ? 0 : 1);
      },
    });
    expect(spec.name).toBe('renamed');
    expectTypeOf<OptionsOf<typeof declaration>>().toEqualTypeOf<{ why?: string | undefined }>();
    // the implementations take the derived type: an option revoke does not declare does not compile
    type RevokeOpts = Parameters<typeof revokeCommand>[2];
    // @ts-expect-error -- `guard revoke` has no --because
    const wrong: RevokeOpts = { because: 'x' };
    expect(wrong).toBeDefined();
  });

  it('hands the implementation the values commander parsed', async () => {
    const r = await guardInProcess(['version', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('version');
    // the exec fast path builds the same typed options commander would
    expect(parseExecArgs(['--no-wait', '--reason=x', '--', 'true'])?.opts).toEqual({ wait: false, reason: 'x' });
  });
});
