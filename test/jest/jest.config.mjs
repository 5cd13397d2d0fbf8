// Jest in native ESM mode (the project is ESM; Prisma's client and PGlite need it): run through
// `npm test`, which starts Node with --experimental-vm-modules and points Jest here.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** @type {import('jest').Config} */
export default {
  // Paths here and on the command line are the repository's, as if this file sat at its top.
  rootDir: fileURLToPath(new URL('../..', import.meta.url)),
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
    // Packages loaded once per worker, outside the sandbox, at Node's speed (test/jest/native/load.cjs).
    '^tweetnacl$': '<rootDir>/test/jest/native/tweetnacl.cjs',
    '^yaml$': '<rootDir>/test/jest/native/yaml.cjs',
    '^ajv$': '<rootDir>/test/jest/native/ajv.cjs',
    '^ajv/dist/2020\\.js$': '<rootDir>/test/jest/native/ajv-2020.cjs',
    '^ajv-formats$': '<rootDir>/test/jest/native/ajv-formats.cjs',
    '^supertest$': '<rootDir>/test/jest/native/supertest.cjs',
    '^express$': '<rootDir>/test/jest/native/express.cjs',
    '^ioredis$': '<rootDir>/test/jest/native/ioredis.cjs',
    '^@noble/curves/ed25519\\.js$': '<rootDir>/test/jest/native/noble-ed25519.cjs',
    '^@noble/hashes/sha2\\.js$': '<rootDir>/test/jest/native/noble-sha2.cjs',
    '^@noble/hashes/hkdf\\.js$': '<rootDir>/test/jest/native/noble-hkdf.cjs',
    '^pg$': '<rootDir>/test/jest/native/pg.cjs',
    '^pino$': '<rootDir>/test/jest/native/pino.cjs',
    '^helmet$': '<rootDir>/test/jest/native/helmet.cjs',
    '^@prisma/client/runtime/query_compiler_fast_bg\\.postgresql\\.wasm-base64\\.mjs$': '<rootDir>/test/jest/native/prisma-query-compiler-wasm.cjs',
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
