/** One dependency readiness waits for: `check` resolves while it is usable and rejects otherwise. */
export interface DependencyProbe {
  /** Key in the health response: `kafka`, `postgres`. */
  readonly name: string;
  check(): Promise<void>;
}

/** PostgreSQL is usable when `SELECT 1` answers (a typeorm DataSource or a pg Pool both fit). */
export function postgresProbe(database: { query(sql: string): Promise<unknown> }): DependencyProbe {
  return {
    name: 'postgres',
    check: async () => {
      await database.query('SELECT 1');
    },
  };
}

/** Kafka is usable when the cluster answers a metadata request (KafkaEventBus.checkBroker). */
export function kafkaProbe(bus: { checkBroker(): Promise<void> }): DependencyProbe {
  return { name: 'kafka', check: () => bus.checkBroker() };
}
