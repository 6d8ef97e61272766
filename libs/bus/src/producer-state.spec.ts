import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { producerStateLost } from './producer-state';

function protocolError(type: string, message: string): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(message), { type, code: 45, retriable: false }));
}

describe('producerStateLost', () => {
  const outOfOrder = () =>
    protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER', 'The broker received an out of order sequence number');

  it('recognises the broker refusing the sequence numbers, as thrown or wrapped by kafkajs', () => {
    expect(producerStateLost(outOfOrder())).toBe(true);
    expect(producerStateLost(new Error('send failed', { cause: outOfOrder() }))).toBe(true);
    expect(
      producerStateLost(new KafkaJSNumberOfRetriesExceeded(outOfOrder(), { retryCount: 5, retryTime: 100 })),
    ).toBe(true);
    expect(producerStateLost(protocolError('UNKNOWN_PRODUCER_ID', 'unknown producer'))).toBe(true);
  });

  it('leaves other failures to the usual retry (the same producer)', () => {
    expect(producerStateLost(protocolError('NOT_LEADER_FOR_PARTITION', 'not the leader'))).toBe(false);
    expect(producerStateLost(new Error('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(false);
    expect(producerStateLost(undefined)).toBe(false);
  });
});
