// Two projects: `unit` (*.spec.ts beside the code, no network but loopback, no broker)
// and `integration` (test/**, needs the Kafka and PostgreSQL that scripts/test.sh starts).
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // NestJS 12, a few of its dependencies and sip.js ship as ES modules only: swc turns them into CommonJS
  // for jest (Node 24 itself loads them through require(esm) at run time).
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|uid|@lukeed|load-esm|file-type|strtok3|token-types|@tokenizer|iterare|sip\\.js)/)',
  ],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^#herald/client/node$': '<rootDir>/libs/client/src/node',
    '^#herald/(.*)$': '<rootDir>/libs/$1/src',
  },
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,bench}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 120000,
    },
    {
      // The chaos soak (test/chaos/chaos.soak.ts): `npm run test:chaos`, bench/chaos-soak.sh.
      ...common,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/*.soak.ts'],
      testTimeout: 120000,
    },
  ],
};
