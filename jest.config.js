/** Jest runs TypeScript through SWC (ts-jest refuses TypeScript 7; type-checking is `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  // jose 6 and p-limit 7 are ESM-only: let SWC turn them into CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!(jose|p-limit|yocto-queue|stream-json|stream-chain)/)'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/globalSetup.js',
  // Two cores: one worker per core; suites start their own servers on port 0.
  maxWorkers: 2,
  testTimeout: 30000,
};
