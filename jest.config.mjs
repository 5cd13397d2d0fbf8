// Jest in native ESM mode (the project is ESM; Prisma's client and PGlite need it): run through
// `npm test`, which starts Node with --experimental-vm-modules.
import { availableParallelism } from 'node:os';

/** @type {import('jest').Config} */
export default {
  testEnvironment: '<rootDir>/test/jest/environment.cjs',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  // SWC strips the types; the hot pure-JS crypto in node_modules is otherwise run as it is. Both
  // get the globals they read bound locally (test/jest/local-globals.cjs says why).
  transform: {
    '(/node_modules/(tweetnacl|@noble)/.+\\.js|\\.ts)$': '<rootDir>/test/jest/local-globals.cjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!(tweetnacl|@noble)/)'],
  moduleNameMapper: {
    // Sources import './x.js' (NodeNext); in Jest the file is ./x.ts.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // tweetnacl runs outside the sandbox, at Node's speed (test/jest/tweetnacl.cjs).
    '^tweetnacl$': '<rootDir>/test/jest/tweetnacl.cjs',
  },
  // One worker per core, each with its own embedded Postgres (test/jest/global-setup.mjs).
  maxWorkers: availableParallelism(),
  testSequencer: '<rootDir>/test/jest/sequencer.cjs',
  globalSetup: '<rootDir>/test/jest/global-setup.mjs',
  globalTeardown: '<rootDir>/test/jest/global-teardown.mjs',
  testTimeout: 60_000,
  coverageProvider: 'v8',
  collectCoverageFrom: ['src/**/*.ts', '!src/db/generated/**'],
  coverageReporters: ['text-summary', 'text', 'json-summary'],
};
