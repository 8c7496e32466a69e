// ESLint (flat config): typescript-eslint's recommended rules, no import cycles, and a few rules
// that catch real mistakes here. Formatting is Prettier's job (.prettierrc.json), not ESLint's.
// Run by scripts/test.mjs before the tests; any warning fails the run.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-results/**', '.aq-cache/**', 'examples/data/**', 'test/e2e/.cache/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mjs', '.js', '.json'] })],
      // no-cycle follows imports into other files, which it must parse as TypeScript.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.mjs', '.js'],
    },
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        // Node and the browser (webview) globals the code uses; TypeScript checks the rest.
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    rules: {
      // Cycles make the load order matter and the layers blur; test/unit/architecture.test.ts checks the same per module.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Node's test runner and JSON-shaped API answers make a few `any`-free casts and non-null assertions the clearest code.
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always'],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  {
    // Code that exists to find or escape control characters says so in its regular expressions.
    files: ['server/src/results/formatText.ts', 'test/unit/results/formatText.test.ts'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    // The parser tests feed numbers beyond double precision on purpose, as exports contain them.
    files: ['test/unit/queryEngine/backends/local/parseEventChunk.test.ts'],
    rules: { 'no-loss-of-precision': 'off' },
  },
  {
    // JQL scripts pass arbitrary values and acorn's nodes are untyped; the e2e and webview tests
    // declare the browser's globals for callbacks that run in the page, where Node's types have no DOM.
    files: ['server/src/queryEngine/backends/local/jql/jqlApi.ts', 'server/src/languageService/jql/jqlAnalysis.ts', 'test/e2e/**', 'test/webview/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // TypeScript already reports undefined names, and knows the DOM and Node types of each bundle.
    files: ['**/*.ts'],
    rules: { 'no-undef': 'off' },
  },
);
