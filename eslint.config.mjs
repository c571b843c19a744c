import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.strata/**', 'eslint.config.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Dynamic providers are serialized into the state and run elsewhere: their code must
    // require what it needs inside each method, not through module-level imports.
    files: ['programs/local/postgres-provider.ts', 'programs/local/directory-bucket.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
