// ESLint (flat config, typescript-eslint with type information): the rules of the house as import restrictions
// (scripts/lint/houseRules.mjs) plus the checks that catch real bugs here: promises nobody awaits, `==`, and
// value imports that are only types (they would pull a module into a bundle, or into the extension host).
import tseslint from 'typescript-eslint';
import { houseRules } from './scripts/lint/houseRules.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.tools/**', '.cache/**', 'node_modules/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error', noInlineConfig: true },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  ...houseRules,
);
