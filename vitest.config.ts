import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for Apollo; Vite would pick its ESM build for our files.
    // Two copies break `instanceof GraphQLError` ("another module or realm"), so both get the same.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '.data/**', 'web/dist/**'],
    globalSetup: ['test/webBuild.ts'],
    // Test files that start the system each open their own database, and seeding the school list
    // into a fresh one takes seconds on two cores.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Files, and the cases inside each file, run in a random order, so that no file leans on what
    // another left behind and no case on an earlier one. The run prints its seed; `--sequence.seed
    // <seed>` repeats that order (README, Commands).
    sequence: { shuffle: true },
  },
});
