/**
 * jest: the CDK app's template tests (test/*.test.ts). ts-jest only transpiles (`npm test`
 * type-checks with tsc first), which keeps a run short.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { isolatedModules: true }] },
};
