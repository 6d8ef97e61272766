import type { ConsumedRecord } from '#herald/bus';
import { FakeClock } from '#herald/sip';
import { FakeEventBus } from '../../testing/fake-event-bus';
import { PendingDecisions } from '../inbound/pending-decisions';
import { OutboundConsumer } from './outbound-consumer';
import type { PushSender } from './push-sender';

function linkRecord(key: string, value = '{}'): ConsumedRecord {
  return {
    topic: 'edge.edge-7.outbound.v1',
    key,
    value: Buffer.from(value),
    headers: {},
    partition: 0,
    offset: '0',
  };
}

/** A consumer whose handle() is observed (or replaced): the frame logic is what is under test. */
function consumer(): OutboundConsumer {
  // No push is sent in these cases: handle() is spied on, or the record breaks its contract first.
  const pushSender = {} as PushSender;
  return new OutboundConsumer(
    new FakeEventBus(),
    'edge-7',
    pushSender,
    new PendingDecisions(new FakeClock()),
  );
}

describe('OutboundConsumer.handleInOrder (a frame of the edge link)', () => {
  it("hands every record to handle, the Kafka consumer's handler, in order, and counts them all", async () => {
    const outbound = consumer();
    const handled: string[] = [];
    jest.spyOn(outbound, 'handle').mockImplementation(async (record) => void handled.push(record.key));
    const records = ['sip:a@d', 'sip:b@d', 'sip:a@d'].map((key) => linkRecord(key));
    await expect(outbound.handleInOrder(records)).resolves.toBe(3);
    expect(handled).toEqual(['sip:a@d', 'sip:b@d', 'sip:a@d']);
  });

  it('stops at the first record that throws: those before it count, it and the rest are refused', async () => {
    const outbound = consumer();
    const handled: string[] = [];
    jest.spyOn(outbound, 'handle').mockImplementation(async (record) => {
      if (record.key === 'sip:fails@d') throw new Error('the bus is down');
      handled.push(record.key);
    });
    const records = ['sip:a@d', 'sip:fails@d', 'sip:b@d'].map((key) => linkRecord(key));
    await expect(outbound.handleInOrder(records)).resolves.toBe(1);
    expect(handled).toEqual(['sip:a@d']);
  });

  it('counts a record that breaks its contract as handled (logged and skipped, as Kafka commits it)', async () => {
    const outbound = consumer();
    await expect(outbound.handleInOrder([linkRecord('sip:a@d', '{"type":"nonsense"}')])).resolves.toBe(1);
  });
});
