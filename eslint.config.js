// Lint (npm run lint, in CI): typescript-eslint's recommended rules, and the borders of the
// architecture as import rules (docs/architecture.md): a subgraph imports only the kernel, the stream
// contracts and itself; the contracts only the kernel; the kernel nothing above it; the browser pages
// no server code. Formatting is Prettier's (.prettierrc.json), checked by the same command.
// ESLint rather than Biome: its no-restricted-imports, given per folder, states each border as a
// rule with its reason, and typescript-eslint's rules run on the same parse; Prettier formats.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const subgraphs = ['institutions', 'learners', 'funding', 'absence'];
const above = ['gateway', 'system', 'cli', 'bench', 'faults', 'test', 'web'];

/** A rule refusing imports whose path matches one of `patterns` (regular expressions), saying why. */
const refuse = (message, ...patterns) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((regex) => ({ regex, message })) }],
});

export default tseslint.config(
  { ignores: ['node_modules/', 'web/dist/', '.data/', 'bench/peers/', 'bench/results/', 'coverage/', 'schema/operations.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_name` marks what a destructuring leaves out on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Plain JavaScript for vendors to copy (cli/check-operations.mjs): tsc checks its names (@ts-check), as it does TypeScript's.
    files: ['**/*.mjs'],
    rules: { 'no-undef': 'off' },
  },
  {
    // Tests read answers of any shape the API gives.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...subgraphs.map((name) => ({
    files: [`subgraphs/${name}/**/*.ts`],
    ignores: [`subgraphs/${name}/**/*.test.ts`],
    rules: refuse(
      `A subgraph imports only kernel/, contracts/ and itself: what crosses to another subgraph crosses as an event (contracts/README.md).`,
      `^\\.\\./(?!${name}/)[^.]`,
      `^\\.\\./\\.\\./(subgraphs|${above.join('|')})/`,
    ),
  })),
  ...subgraphs.map((name) => ({
    files: [`subgraphs/${name}/**/*.test.ts`],
    rules: refuse(
      `A subgraph's own tests import only kernel/, contracts/, test/ and the subgraph; tests across subgraphs live in test/.`,
      `^\\.\\./(?!${name}/)[^.]`,
    ),
  })),
  {
    files: ['contracts/**/*.ts'],
    rules: refuse('Contracts import only the kernel.', `^\\.\\./(subgraphs|${above.join('|')})/`),
  },
  {
    files: ['kernel/**/*.ts'],
    ignores: ['kernel/**/*.test.ts'],
    rules: refuse('The kernel imports nothing above it.', `^(\\.\\./)+(subgraphs|contracts|${above.join('|')})/`),
  },
  {
    files: ['web/school/**/*.ts', 'web/explorer/**/*.ts', 'web/school/**/*.tsx', 'web/explorer/**/*.tsx'],
    rules: refuse(
      'The browser pages import no server code: they reach the register over HTTP and WebSocket only.',
      `^(\\.\\./)+(kernel|gateway|subgraphs|contracts|cli|bench|faults)/`,
    ),
  },
);
