import { createRequire } from 'node:module';
import { fixKafkajsRequestQueue, type KafkajsRequestQueue } from './kafkajs-request-queue';

/** kafkajs' own RequestQueue, the class the fix changes, driven through its public methods. */
interface RequestQueue extends KafkajsRequestQueue {
  push(request: {
    entry: { correlationId: number; apiKey: number; apiName: string; apiVersion: number } & Settle;
    expectResponse: boolean;
    sendRequest(): void;
  }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(clientSideThrottleTime: number): void;
  scheduleRequestTimeoutCheck(): void;
  destroy(): void;
}
interface Settle {
  resolve(response: unknown): void;
  reject(error: unknown): void;
}
type RequestQueueClass = new (options: Record<string, unknown>) => RequestQueue;

const kafkajsRequire = createRequire(require.resolve('kafkajs'));
const RequestQueue = kafkajsRequire('./src/network/requestQueue') as RequestQueueClass;
const silent = { debug: () => undefined, warn: () => undefined, error: () => undefined };

function queue(maxInFlightRequests: number, requestTimeout = 30_000): RequestQueue {
  return new RequestQueue({
    maxInFlightRequests,
    requestTimeout,
    enforceRequestTimeout: true,
    clientId: 'spec',
    broker: '127.0.0.1:9092',
    logger: silent,
  });
}

function request(correlationId: number, sent: number[]): Parameters<RequestQueue['push']>[0] {
  return {
    entry: {
      correlationId,
      apiKey: 1,
      apiName: 'Fetch',
      apiVersion: 11,
      resolve: () => undefined,
      reject: () => undefined,
    },
    expectResponse: true,
    sendRequest: () => sent.push(correlationId),
  };
}

describe('fixKafkajsRequestQueue', () => {
  beforeAll(() => fixKafkajsRequestQueue());
  afterEach(() => jest.useRealTimers());

  it('schedules no timer after a response when no request is held back', () => {
    const requests = queue(1);
    const sent: number[] = [];
    requests.push(request(1, sent));
    requests.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1]);
    // kafkajs 2.2.4 scheduled a check here that re-scheduled itself every millisecond, forever.
    expect(requests.throttleCheckTimeoutId).toBeNull();
  });

  it('sends a request held back by the in-flight limit once the one in flight is answered', () => {
    const requests = queue(1);
    const sent: number[] = [];
    requests.push(request(1, sent));
    requests.push(request(2, sent));
    expect(sent).toEqual([1]);
    requests.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
    requests.destroy();
  });

  it('sends a request held back across a teardown of its connection once the one in flight is answered', () => {
    const requests = queue(1);
    const sent: number[] = [];
    requests.push(request(1, sent));
    requests.push(request(2, sent));
    // Connection.disconnect() and connect() destroy the queue's timers; the queue itself lives on.
    requests.destroy();
    requests.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
    requests.destroy();
  });

  it('sends a request held back by the in-flight limit once the one in flight times out', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const requests = queue(1, 1_000);
    requests.scheduleRequestTimeoutCheck();
    const sent: number[] = [];
    requests.push(request(1, sent));
    requests.push(request(2, sent));
    jest.advanceTimersByTime(1_100);
    expect(sent).toEqual([1, 2]);
    requests.destroy();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sends a request held back by a throttle of 1 ms (tulios/kafkajs#1532)', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const requests = queue(10);
    const sent: number[] = [];
    requests.maybeThrottle(1);
    requests.push(request(1, sent));
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([1]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sends a request held back by client-side throttling when the throttle ends, then stops checking', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const requests = queue(10);
    const sent: number[] = [];
    requests.maybeThrottle(50);
    requests.push(request(1, sent));
    jest.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([1]);
    expect(requests.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('createKafkaClient', () => {
  it('installs the fix before it makes the client', () => {
    // Fresh modules: the other tests of this file have installed the fix already.
    jest.isolateModules(() => {
      const freshQueue = createRequire(require.resolve('kafkajs'))('./src/network/requestQueue') as {
        prototype: KafkajsRequestQueue;
      };
      const fresh = jest.requireActual<typeof import('./kafkajs-request-queue')>('./kafkajs-request-queue');
      expect(freshQueue.prototype.scheduleCheckPendingRequests).not.toBe(fresh.scheduleCheckPendingRequests);
      const kafka = fresh.createKafkaClient({ clientId: 'spec', brokers: ['127.0.0.1:9'] });
      expect(kafka).toBeDefined();
      expect(freshQueue.prototype.scheduleCheckPendingRequests).toBe(fresh.scheduleCheckPendingRequests);
    });
  });
});
