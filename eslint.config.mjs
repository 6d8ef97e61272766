import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The dependency rules of docs/architecture.md ("Layout"), checked on every import. Each file gets
// ONE `no-restricted-imports` (a later block replaces an earlier one's), so `boundaries` builds it
// from the rules that apply to the file's folder.
const rule = (regex, message) => ({ regex, message });

/** Every file of apps/, libs/ and bench/. */
const EVERYWHERE = [
  // A library's testing/ fixtures have no public index; scripts/check-build-has-no-test-code.sh
  // keeps them out of the apps' build.
  rule(
    '^(\\.\\./)+libs/(?!observability/src/register$|[a-z-]+/testing/)',
    "import another library through its public index, '#herald/<lib>', not by a relative path",
  ),
  rule('(^|/)apps/', 'nothing imports an app: what two apps share lives in a library under libs/'),
];
/** Production code (specs and testing/ fakes may use test support; the build must not). */
const PRODUCTION = [rule('^(\\.\\./)+test/', 'production code never imports test/ (it is not built)')];
const NOTHING_OF_HERALDS = [rule('^#herald/', "sip and contracts import nothing of Herald's")];
const NO_NEST = [rule('^@nestjs/', 'libs/sip is a plain SIP stack: no NestJS')];
/** The domain talks to ports: contracts, and nothing that is an adapter or a framework. */
const DOMAIN_ONLY_CONTRACTS = [
  rule('^#herald/(?!contracts$)', 'the domain imports only #herald/contracts and its own ports'),
  rule(
    '^(@nestjs/|typeorm$|pg$|kafkajs$|ws$|@opentelemetry/)',
    'the domain talks to ports (libs/domain/src/*/ports.ts), never to frameworks or adapters',
  ),
];
const DOMAIN_SPECS = [
  rule('^#herald/(?!contracts$|sip$)', 'the domain specs import only #herald/contracts and #herald/sip'),
  DOMAIN_ONLY_CONTRACTS[1],
];
/** A bounded context of the domain does not reach into another: shared/ and push/ are common. */
const otherContexts = (own) =>
  rule(
    `^(\\.\\./)+(${['auth', 'presence', 'im'].filter((context) => context !== own).join('|')})(/|$)`,
    `domain/${own} does not import another bounded context: move what both need to shared/ or push/`,
  );
const APP_NAMES = 'sip-edge|auth|presence|im-router|herald';
const NO_OTHER_APP = [
  rule(
    `^(\\.\\./)+(apps/)?(${APP_NAMES})/src(/|$)`,
    "an app never imports another app's src: move what both need into a library with a public index.ts",
  ),
];

/**
 * Two `no-restricted-imports` blocks for the folder `root`: its production code gets `production`
 * plus EVERYWHERE and PRODUCTION; its specs and testing/ fakes get `specs` plus EVERYWHERE.
 */
const boundaries = (root, production, specs = production) => {
  const specFiles = [`${root}/**/*.spec.ts`, `${root}/**/testing/**/*.ts`];
  const restrict = (groups) => ({ 'no-restricted-imports': ['error', { patterns: groups.flat(Infinity) }] });
  return [
    { files: [`${root}/**/*.ts`], ignores: specFiles, rules: restrict([EVERYWHERE, PRODUCTION, production]) },
    { files: specFiles, rules: restrict([EVERYWHERE, specs]) },
  ];
};

export default tseslint.config(
  {
    ignores: ['dist/**', '**/dist/**', 'node_modules/**', '.cache/**', 'coverage/**', '**/*.js', '**/*.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  ...['apps', 'libs', 'bench'].flatMap((root) => boundaries(root, [])),
  ...boundaries('apps/*/src', NO_OTHER_APP),
  ...boundaries('libs/contracts', NOTHING_OF_HERALDS),
  ...boundaries('libs/sip', [NOTHING_OF_HERALDS, NO_NEST]),
  // The domain's specs may also check its digest port against libs/sip's implementation.
  ...boundaries('libs/domain', DOMAIN_ONLY_CONTRACTS, DOMAIN_SPECS),
  ...['auth', 'presence', 'im'].flatMap((context) =>
    boundaries(
      `libs/domain/src/${context}`,
      [DOMAIN_ONLY_CONTRACTS, otherContexts(context)],
      [DOMAIN_SPECS, otherContexts(context)],
    ),
  ),
  {
    // createKafkaClient installs the fix of kafkajs' request queue first (libs/bus/src/kafkajs-request-queue.ts):
    // a client made otherwise wakes its process every millisecond and prints TimeoutNegativeWarning.
    files: ['**/*.ts', '**/*.mts'],
    ignores: ['libs/bus/src/kafkajs-request-queue.ts', 'tools/kafka/warm-up.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Kafka']",
          message:
            "make kafkajs clients with createKafkaClient ('#herald/bus'), which fixes their request queue first",
        },
      ],
    },
  },
);
