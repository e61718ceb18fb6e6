import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // e2e tests spawn the built CLI, daemons and databases: real processes need real time.
    testTimeout: 60_000,
    // set-up and clean-up (OS users, PostgreSQL clusters, daemons) wait for events, never for a
    // time; this bound only ends a hook that hangs, and must not fire on a busy machine
    hookTimeout: 300_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
