/** Jest runs TypeScript through SWC (ts-jest refuses TypeScript 7; type-checking is `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  // jose 6 is ESM-only: let SWC turn it into CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Two cores: one worker per core; suites start their own servers on port 0.
  maxWorkers: 2,
  testTimeout: 30000,
};
