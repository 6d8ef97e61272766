import type { SubscriptionHandle } from '#herald/bus';
import { BusConsumer } from './bus-consumer';

class RecordingConsumer extends BusConsumer {
  subscribed = 0;
  stopped = 0;

  protected subscribe(): Promise<SubscriptionHandle> {
    this.subscribed += 1;
    return Promise.resolve({
      stop: () => {
        this.stopped += 1;
        return Promise.resolve();
      },
    });
  }
}

describe('BusConsumer', () => {
  it('subscribes at bootstrap and stops its subscription once at shutdown', async () => {
    const consumer = new RecordingConsumer();
    await consumer.onApplicationShutdown();
    expect(consumer.stopped).toBe(0);
    await consumer.onApplicationBootstrap();
    expect(consumer.subscribed).toBe(1);
    await consumer.onApplicationShutdown();
    await consumer.onApplicationShutdown();
    expect(consumer.stopped).toBe(1);
  });
});
