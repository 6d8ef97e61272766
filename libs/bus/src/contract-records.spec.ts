import { ContractError } from '#herald/contracts';
import {
  type ConsumedContract,
  ContractRecordHandler,
  type ContractRoute,
  route,
  sharedTopicRoute,
  type SkippedRecordFields,
} from './contract-records';
import type { ConsumedRecord } from './event-bus';

const TOPIC = 'herald.test.numbers.v1';

/** A contract of JSON numbers: anything else breaks it; `"crash"` fails the decoder itself. */
const numbers: ConsumedContract<number> = {
  topic: TOPIC,
  decode(value) {
    const text = value.toString('utf8');
    if (text === 'crash') {
      throw new TypeError('decoder bug');
    }
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'number') {
      throw new ContractError('CONTRACT_INVALID_PAYLOAD', TOPIC, `not a number: ${text}`);
    }
    return parsed;
  },
};

function recordsOf(...values: string[]): ConsumedRecord[] {
  return values.map((value, offset) => ({
    topic: TOPIC,
    key: 'sip:alice@herald.local',
    value: Buffer.from(value),
    headers: {},
    partition: 0,
    offset: String(offset),
  }));
}

/** What the service was called with: `single` per event, `run` per run. */
interface Calls {
  single: number[];
  runs: number[][];
}

type Single = (service: Calls, event: number) => Promise<void>;
type Run = (service: Calls, events: ReadonlyArray<number>) => Promise<void>;

/** A handler of one route over `numbers`, made by `routeOf` (default: route()) from recording calls. */
function handlerFor(
  withRunForm: boolean,
  routeOf: (single: Single, run?: Run) => ContractRoute<Calls> = (single, run) => route(numbers, single, run),
): {
  handler: ContractRecordHandler<Calls>;
  calls: Calls;
  logged: (SkippedRecordFields & { message: string })[];
} {
  const calls: Calls = { single: [], runs: [] };
  const logged: (SkippedRecordFields & { message: string })[] = [];
  const handler = new ContractRecordHandler<Calls>({
    service: calls,
    routes: [
      routeOf(
        async (service, event) => {
          service.single.push(event);
        },
        withRunForm
          ? async (service, events) => {
              service.runs.push([...events]);
            }
          : undefined,
      ),
    ],
    logger: { error: (fields, message) => logged.push({ ...fields, message }) },
    meterName: 'herald-bus-test',
    unexpectedTopic: (topic) => new Error(`unexpected ${topic}`),
  });
  return { handler, calls, logged };
}

describe('ContractRecordHandler', () => {
  it('hands a run to the route run form in one call, events in order', async () => {
    const { handler, calls } = handlerFor(true);

    await handler.handleRun(recordsOf('1', '2', '3'));

    expect(calls).toEqual({ single: [], runs: [[1, 2, 3]] });
  });

  it('hands a run to the single form event by event when the route has no run form', async () => {
    const { handler, calls } = handlerFor(false);

    await handler.handleRun(recordsOf('1', '2', '3'));

    expect(calls).toEqual({ single: [1, 2, 3], runs: [] });
  });

  it('handles one record through the single form even when the route has a run form', async () => {
    const { handler, calls } = handlerFor(true);

    await handler.handle(recordsOf('7')[0]!);

    expect(calls).toEqual({ single: [7], runs: [] });
  });

  it('skips and logs each record of a run that breaks its contract, as handle does, and runs the rest', async () => {
    const { handler, calls, logged } = handlerFor(true);

    await handler.handleRun(recordsOf('1', '"two"', '3'));

    expect(calls.runs).toEqual([[1, 3]]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      code: 'RECORD_SKIPPED',
      reason: 'CONTRACT_INVALID_PAYLOAD',
      topic: TOPIC,
      partition: 0,
      offset: '1',
    });
  });

  it('calls nothing for a run whose every record breaks its contract', async () => {
    const { handler, calls, logged } = handlerFor(true);

    await handler.handleRun(recordsOf('"one"', '"two"'));

    expect(calls).toEqual({ single: [], runs: [] });
    expect(logged).toHaveLength(2);
  });

  it('throws a decode error that is not a ContractError (the run is retried), calling nothing', async () => {
    const { handler, calls } = handlerFor(true);

    await expect(handler.handleRun(recordsOf('1', 'crash'))).rejects.toThrow(TypeError);
    expect(calls).toEqual({ single: [], runs: [] });
  });

  it('throws the unexpected-topic error for a run of a topic without a route', async () => {
    const { handler } = handlerFor(true);
    const records = recordsOf('1').map((record) => ({ ...record, topic: 'herald.test.other.v1' }));

    await expect(handler.handleRun(records)).rejects.toThrow('unexpected herald.test.other.v1');
  });
});

describe('sharedTopicRoute', () => {
  const sharedHandler = (withRunForm: boolean) =>
    handlerFor(withRunForm, (single, run) =>
      sharedTopicRoute(numbers, (event) => event % 2 === 0, single, run),
    );

  it('hands the service only the events it acts on, one by one and in runs, skipping the others quietly', async () => {
    const { handler, calls, logged } = sharedHandler(true);
    await handler.handle(recordsOf('1')[0]);
    await handler.handle(recordsOf('2')[0]);
    await handler.handleRun(recordsOf('3', '4', '5', '6'));
    expect(calls).toEqual({ single: [2], runs: [[4, 6]] });
    expect(logged).toEqual([]);
  });

  it('makes no run call when the run holds none of its events', async () => {
    const { handler, calls } = sharedHandler(true);
    await handler.handleRun(recordsOf('1', '3'));
    expect(calls).toEqual({ single: [], runs: [] });
  });

  it('hands a run event by event when the route has no run form', async () => {
    const { handler, calls } = sharedHandler(false);
    await handler.handleRun(recordsOf('1', '2', '3', '4'));
    expect(calls).toEqual({ single: [2, 4], runs: [] });
  });
});
