// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.build/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // DESIGN.md: the core never imports a platform; a new platform is a new folder in adapters/.
    // The composition root (src/compose.ts) is the one place that wires adapters and commands in.
    files: ['src/**/*.ts', 'commands/**/*.ts'],
    ignores: ['src/main.ts', 'src/compose.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@slack/*', 'discord.js', '@discordjs/*'], message: 'The core and commands must not import a chat platform; only adapters/ may.' },
          { group: ['**/adapters/**'], message: 'The core must not depend on an adapter.' },
          { group: ['**/commands/**'], message: 'The core is handed its commands by the composition root (src/compose.ts); it does not import them.' },
          { group: ['**/dev/**', 'mongodb-memory-server'], message: 'The development database (dev/) is tooling: the product never starts or builds a database.' },
        ],
      }],
    },
  },
  {
    files: ['adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/dev/**', 'mongodb-memory-server'], message: 'The development database (dev/) is tooling: the product never starts or builds a database.' }],
      }],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['mongoose', 'mongodb', '@slack/*', 'discord.js'], message: 'The domain is pure: no database or platform types.' },
        ],
      }],
    },
  },
);
