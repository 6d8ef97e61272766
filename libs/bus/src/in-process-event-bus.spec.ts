import { describeEventBusContract } from '../../../test/support/event-bus-contract';
import { InProcessEventBus } from './in-process-event-bus';

describeEventBusContract('InProcessEventBus', {
  createBus: ({ handlerRetry }) => new InProcessEventBus({ handlerRetry }),
  createUnavailableBus: async () => {
    const closed = new InProcessEventBus();
    await closed.close();
    return closed;
  },
  publishTimeoutMs: 0,
  deliveryTimeoutMs: 2_000,
});
