/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'], '^.+\\.js$': ['@swc/jest'] },
  // content-disposition 3.1 (under @fastify/static, for /docs) is ESM only; Node 20 requires it
  // natively, jest needs it transformed to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  roots: ['<rootDir>/src', '<rootDir>/projections', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
  // Integration suites open files and servers; two workers fit the 2-core machines.
  maxWorkers: 2,
};
