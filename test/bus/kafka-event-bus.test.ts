import { KafkaEventBus } from '#herald/bus';
import { createServer } from 'node:net';
import { describeEventBusContract } from '../support/event-bus-contract';
import { requireKafkaBrokers } from '../support/env';

const brokers = requireKafkaBrokers();
const PUBLISH_TIMEOUT_MS = 1_500;

/** A loopback port nothing listens on: the "stopped broker". */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  if (address === null || typeof address === 'string') {
    throw new Error('expected a TCP address');
  }
  return address.port;
}

describeEventBusContract('KafkaEventBus', {
  createBus: ({ handlerRetry }) =>
    new KafkaEventBus({ brokers, clientId: 'herald-bus-test', handlerRetry, logLevel: 'nothing' }),
  createUnavailableBus: async () =>
    new KafkaEventBus({
      brokers: [`127.0.0.1:${await closedPort()}`],
      clientId: 'herald-bus-test-unavailable',
      publishTimeoutMs: PUBLISH_TIMEOUT_MS,
      logLevel: 'nothing',
    }),
  deliveryTimeoutMs: 30_000,
});
