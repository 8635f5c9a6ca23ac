// eslint 9 flat config: typescript-eslint for the TypeScript, eslint-plugin-wxml (with @wxml/parser) for templates.
import tseslint from 'typescript-eslint';
import wxml from 'eslint-plugin-wxml';
import wxmlParser from '@wxml/parser';

export default [
  { ignores: ['node_modules/**', 'miniprogram_npm/**', 'app/miniprogram_npm/**', 'coverage/**'] },
  ...tseslint.configs.recommended.map((c) => ({ ...c, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.wxml'],
    plugins: { wxml },
    languageOptions: { parser: wxmlParser },
    rules: {
      'wxml/report-wxml-syntax-error': 'error',
      'wxml/report-interpolation-error': 'error',
      'wxml/no-duplicate-attributes': 'error',
      'wxml/wx-key': 'error',
      'wxml/no-dot-this-in-wx-key': 'off', // *this is WeChat's own key for lists of unique strings (photo paths)
      'wxml/no-dynamic-wx-key': 'error',
      'wxml/no-wx-for-with-wx-if': 'error',
      'wxml/no-wx-for-with-wx-else': 'error',
      'wxml/no-vue-directive': 'error',
      'wxml/no-unexpected-string-bool': 'error',
      'wxml/no-inconsistent-tagname': 'error',
      'wxml/event-binding-style': 'off',
      'wxml/max-depth': ['error', 8],
    },
  },
];
