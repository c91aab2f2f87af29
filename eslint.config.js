// ESLint flat config: typescript-eslint's recommended rules over src/ and test/ (`npm run lint`). Where a rule and the
// code disagree on purpose, the rule is set to match the code, with the reason beside it.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'engines/**', 'bench/**', 'scripts/**', 'bin/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // TypeScript itself reports undefined names (typescript-eslint's advice); the .cjs fakes run under Node
      'no-undef': 'off',
      // sanitisers and terminal tests match control characters on purpose (file names, one-line messages, ANSI)
      'no-control-regex': 'off',
      // `catch {}` means "best effort: a failure changes nothing" (the value keeps its default)
      'no-empty': ['error', {allowEmptyCatch: true}],
      // `const {dropped: _dropped, ...rest} = x` drops a field; a leading _ marks a parameter kept for its position
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true},
      ],
    },
  },
  {
    // tests read commands' --json documents, whose shape the test itself asserts
    files: ['test/**/*.ts'],
    rules: {'@typescript-eslint/no-explicit-any': 'off'},
  },
  {
    // the fake vastai is a CommonJS script (it runs as the `vastai` program)
    files: ['**/*.cjs'],
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
)
