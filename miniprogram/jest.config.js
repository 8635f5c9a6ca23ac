// jest + miniprogram-simulate (jsdom); TypeScript (and TDesign's ES modules) through ts-jest; type checks are
// `tsc --noEmit`'s job.
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/tests'],
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, isolatedModules: true, esModuleInterop: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!tdesign-miniprogram/)'],
  setupFiles: ['<rootDir>/tests/support/setup.ts'],
  setupFilesAfterEnv: ['<rootDir>/tests/support/after.ts'],
  globalSetup: '<rootDir>/tests/support/openapi-setup.ts',
};
