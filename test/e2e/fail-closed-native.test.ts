/**
 * The fail-closed suite (fail-closed.test.ts) again, with every `guard exec` run by the native
 * client: whatever it cannot decide itself it hands to the Node client, so each rule must hold
 * the same way. Skipped, saying so, when no native client could be built (no Rust toolchain).
 */
import { describe, it } from 'vitest';
import { NATIVE_BUILT } from '../helpers/cli.js';

if (NATIVE_BUILT) {
  process.env['GUARD_TEST_EXEC_CLIENT'] = 'native';
  await import('./fail-closed.test.js');
} else {
  describe.skip('fail-closed with the native exec client', () => {
    it('SKIPPED: the native client was not built (no Rust toolchain)', () => undefined);
  });
}
