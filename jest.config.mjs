// Jest in native ESM mode (the project is ESM; Prisma's client and PGlite need it): run through
// `npm test`, which starts Node with --experimental-vm-modules. SWC strips the types.
import { availableParallelism } from 'node:os';

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '/node_modules/(tweetnacl|@noble)/.+\\.js$': '<rootDir>/test/jest/local-globals.cjs',
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true }, module: { type: 'es6' } }],
  },
  // node_modules are run as they are, except the pure-JS crypto that local-globals.cjs speeds up.
  transformIgnorePatterns: ['/node_modules/(?!(tweetnacl|@noble)/)'],
  // Sources import './x.js' (NodeNext); in Jest the file is ./x.ts.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // One worker per core, each with its own embedded Postgres (test/jest/global-setup.mjs).
  maxWorkers: availableParallelism(),
  globalSetup: '<rootDir>/test/jest/global-setup.mjs',
  globalTeardown: '<rootDir>/test/jest/global-teardown.mjs',
  testTimeout: 60_000,
  coverageProvider: 'v8',
  collectCoverageFrom: ['src/**/*.ts', '!src/db/generated/**'],
  coverageReporters: ['text-summary', 'text', 'json-summary'],
};
