/**
 * The infrastructure the integration tests run against, named by environment variables that
 * scripts/test.sh sets after starting a real Kafka and PostgreSQL. An integration test that finds
 * them missing fails: it never skips, so a green run always means the tests ran.
 */

export class MissingTestInfrastructureError extends Error {
  readonly code = 'TEST_INFRASTRUCTURE_MISSING';
  constructor(variable: string, what: string) {
    super(
      `${variable} is not set: integration tests need ${what}. ` +
        'Run them with `npm test` (starts Kafka and PostgreSQL), or start them with ' +
        'scripts/kafka.sh / scripts/postgres.sh and export the variable.',
    );
    this.name = 'MissingTestInfrastructureError';
  }
}

function requireVariable(variable: string, what: string): string {
  const value = process.env[variable];
  if (value === undefined || value.trim() === '') {
    throw new MissingTestInfrastructureError(variable, what);
  }
  return value;
}

/** The bootstrap brokers of the test Kafka, e.g. `['127.0.0.1:9092']`. */
export function requireKafkaBrokers(): string[] {
  return requireVariable('KAFKA_BROKERS', 'a Kafka broker (KAFKA_BROKERS=host:port[,host:port])')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
}

/** The URL of the test PostgreSQL's `herald_test` database (an admin connection). */
export function requireDatabaseUrl(): string {
  return requireVariable('DATABASE_URL', 'a PostgreSQL server (DATABASE_URL=postgres://...)');
}
