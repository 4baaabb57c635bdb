// Layers are folders, and this file checks them (STYLE.md §6), next to
// test/unit/layering.test.ts which checks the same rules without ESLint.
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const noDefaultExport = {
  selector: 'ExportDefaultDeclaration',
  message: 'Use named exports (easier to find and rename).',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'test-results/**',
      'playwright-report/**',
      'bench/results/**',
      '**/*.d.ts',
      'test/sim/shims/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': ['error', noDefaultExport],
    },
  },
  {
    files: [
      '**/*.config.{js,ts}',
      'test/e2e/playwright.config.ts',
      'renderer/vite.config.ts',
      'electron/vite.config.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'shared/ is the contract: it imports zod only.' }],
          patterns: [
            {
              group: ['**/electron/**', '**/renderer/**', 'node:*'],
              message: 'shared/ imports zod only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'electron/core is plain Node; adapt Electron in electron/*.ts.',
            },
          ],
          patterns: [
            {
              // Imports of the Electron host files are caught by test/unit/layering.test.ts,
              // which resolves each relative path.
              group: ['**/serve/**', '**/cli/**', '**/renderer/**'],
              message: 'core must not import hosts or the renderer.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer talks to main only through renderer/api/.' },
          ],
          patterns: [
            { group: ['**/electron/**', 'node:*'], message: 'The renderer imports shared/ only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/*.ts'],
    // main.ts only hands ipcMain to registerIpc (the one place that uses it).
    ignores: ['electron/ipc-main.ts', 'electron/preload.ts', 'electron/main.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              importNames: ['ipcMain', 'ipcRenderer'],
              message:
                'Use handle()/send() from electron/ipc-main.ts: they parse input and check the sender.',
            },
          ],
        },
      ],
    },
  },
);
