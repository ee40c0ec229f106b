// Lint rules that guard Herald's two structural promises: every promise is handled,
// and workflow code stays deterministic (no Node built-ins, no I/O libraries).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.herald/**', 'bench/results/**', 'scripts/*.js', 'eslint.config.mjs', 'apps/console/vite.config.mts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests and benchmarks read arbitrary JSON responses.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The console renders every API value as text: no HTML sinks.
    files: ['apps/console/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'Render API values as text (JSX children), never as HTML.' },
        { selector: 'MemberExpression[property.name=/^(innerHTML|outerHTML|insertAdjacentHTML)$/]', message: 'No HTML sinks in the console.' },
      ],
      'no-restricted-globals': ['error', { name: 'localStorage', message: 'The session lives in sessionStorage only.' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins,
            'typeorm',
            'pg',
            'undici',
            '@nestjs/common',
            '@nestjs/core',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
            'pino',
            'prom-client',
          ],
          patterns: [
            { group: ['**/activities/*', '!**/activities/types'], allowTypeImports: true, message: 'Workflows may only import activity types (import type).' },
            { group: ['**/libs/db/**', '**/libs/config/**', '**/apps/**'], message: 'Workflows must stay pure: no database, config or app code.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'fetch', message: 'No I/O in workflows.' }, { name: 'setTimeout', message: 'Use Temporal timers.' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use workflow time only through Temporal APIs.' },
        { object: 'Math', property: 'random', message: 'No randomness in workflows.' },
      ],
    },
  },
);
