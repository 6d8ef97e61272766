import type { ConsumedRecord } from './event-bus';
import { KafkaPartitionIntake, type KafkaPartitionIntakeDeps } from './kafka-partition-intake';
import { partitionOfKey } from './kafka-partitioner';

const TOPIC = 'sip.command-received.im-router.v1';
const COUNT = 4;

/** A key of each of the topic's COUNT partitions (the producers' partitioner decides, not the test). */
const keyOfPartition: string[] = [];
for (let n = 0; keyOfPartition.filter((key) => key !== undefined).length < COUNT; n += 1) {
  keyOfPartition[partitionOfKey(`sip:u${n}@x`, COUNT)] ??= `sip:u${n}@x`;
}

const taken = (partition: number, n: number): ConsumedRecord => ({
  topic: TOPIC,
  key: keyOfPartition[partition]!,
  value: Buffer.from(String(n)),
  headers: {},
  partition: -1,
  offset: `link:1.${n}`,
});

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Lets the intake's promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Deps whose metadata reads and partitions' handling the test settles by hand. */
class FakeDeps implements KafkaPartitionIntakeDeps {
  readonly countReads: Array<Deferred<ReadonlyMap<string, number>>> = [];
  readonly failures: unknown[] = [];
  /** Each record added to a partition, with its settlement. */
  readonly added: Array<{ topic: string; partition: number; value: string; handled: Deferred<boolean> }> = [];
  partition(topic: string, partition: number) {
    return {
      addTaken: (record: ConsumedRecord): Promise<boolean> => {
        const handled = deferred<boolean>();
        this.added.push({ topic, partition, value: record.value.toString(), handled });
        return handled.promise;
      },
    };
  }
  partitionCounts(): Promise<ReadonlyMap<string, number>> {
    const read = deferred<ReadonlyMap<string, number>>();
    this.countReads.push(read);
    return read.promise;
  }
  onCountsFailed(error: unknown): void {
    this.failures.push(error);
  }
}

describe('KafkaPartitionIntake', () => {
  let deps: FakeDeps;
  let intake: KafkaPartitionIntake;
  let changes: number;

  /** Joins with `partitions` of TOPIC and settles the join's metadata read with `counts`. */
  const joinWithCounts = async (partitions: number[], counts = new Map([[TOPIC, COUNT]])): Promise<void> => {
    intake.joined({ [TOPIC]: partitions });
    deps.countReads.at(-1)!.resolve(counts);
    await settle();
  };

  beforeEach(() => {
    deps = new FakeDeps();
    intake = new KafkaPartitionIntake(deps);
    changes = 0;
    intake.onOwnedChange(() => (changes += 1));
  });

  it('owns a joined topic with partitions once its count is read, telling the listeners at the join and at the count', async () => {
    intake.joined({ [TOPIC]: [0, 2], 'other.v1': [], 'uncounted.v1': [1] });
    expect(changes).toBe(1);
    expect(intake.owned()).toEqual([]);
    deps.countReads[0]!.resolve(
      new Map([
        [TOPIC, COUNT],
        ['other.v1', COUNT],
      ]),
    );
    await settle();
    expect(changes).toBe(2);
    expect(intake.owned()).toEqual([{ topic: TOPIC, partitionCount: COUNT, partitions: [0, 2] }]);
  });

  it('reads no partition counts for a join that assigned it nothing', () => {
    const deps = new FakeDeps();
    const intake = new KafkaPartitionIntake(deps);
    intake.joined({ [TOPIC]: [] });
    expect(deps.countReads).toHaveLength(0);
    expect(intake.owned()).toEqual([]);
  });

  it('owns nothing once released, and tells the listeners only when it owned something', async () => {
    await joinWithCounts([1]);
    const before = changes;
    intake.released();
    expect(intake.owned()).toEqual([]);
    expect(changes).toBe(before + 1);
    intake.released();
    expect(changes).toBe(before + 1);
  });

  it('applies counts only to the latest join: a slower read of an earlier join is dropped', async () => {
    intake.joined({ [TOPIC]: [0] });
    intake.joined({ [TOPIC]: [0, 5] });
    deps.countReads[0]!.resolve(new Map([[TOPIC, COUNT]]));
    await settle();
    expect(intake.owned()).toEqual([]);
    deps.countReads[1]!.resolve(new Map([[TOPIC, 8]]));
    await settle();
    expect(intake.owned()).toEqual([{ topic: TOPIC, partitionCount: 8, partitions: [0, 5] }]);
  });

  it('drops the counts read for a join a release ended', async () => {
    intake.joined({ [TOPIC]: [0] });
    intake.released();
    intake.joined({ [TOPIC]: [1] });
    deps.countReads[0]!.resolve(new Map([[TOPIC, COUNT]]));
    await settle();
    expect(intake.owned()).toEqual([]);
  });

  it('owns a topic at a new join only with the count read for that join, not an earlier one', async () => {
    // Partitions were added (4 -> 8): the group rebalances, and the count of the earlier join is stale.
    await joinWithCounts([0, 1]);
    intake.joined({ [TOPIC]: [0, 5] });
    expect(intake.owned()).toEqual([]);
    await expect(intake.take([taken(0, 1)])).resolves.toBe(0);
    deps.countReads[1]!.resolve(new Map([[TOPIC, 8]]));
    await settle();
    expect(intake.owned()).toEqual([{ topic: TOPIC, partitionCount: 8, partitions: [0, 5] }]);
  });

  it('owns nothing of a join whose count read failed, until the next join', async () => {
    await joinWithCounts([0, 1]);
    intake.joined({ [TOPIC]: [0, 1] });
    const failure = new Error('metadata unavailable');
    deps.countReads[1]!.reject(failure);
    await settle();
    expect(deps.failures).toEqual([failure]);
    expect(intake.owned()).toEqual([]);
  });

  it("takes records into their key's partition and resolves with how many were handled", async () => {
    await joinWithCounts([0, 1, 2, 3]);
    const taking = intake.take([taken(2, 1), taken(0, 2), taken(2, 3)]);
    expect(deps.added.map(({ partition, value }) => [partition, value])).toEqual([
      [2, '1'],
      [0, '2'],
      [2, '3'],
    ]);
    for (const { handled } of deps.added) handled.resolve(true);
    await expect(taking).resolves.toBe(3);
  });

  it('takes nothing from the first record of a partition it does not own', async () => {
    await joinWithCounts([0, 2]);
    const taking = intake.take([taken(0, 1), taken(2, 2), taken(1, 3), taken(0, 4)]);
    expect(deps.added.map(({ value }) => value)).toEqual(['1', '2']);
    for (const { handled } of deps.added) handled.resolve(true);
    await expect(taking).resolves.toBe(2);
  });

  it('takes nothing of a topic it was not assigned', async () => {
    await joinWithCounts([0, 1, 2, 3]);
    await expect(intake.take([{ ...taken(0, 1), topic: 'other.v1' }, taken(0, 2)])).resolves.toBe(0);
    expect(deps.added).toEqual([]);
  });

  it('cuts the handled prefix at the first record that was not handled', async () => {
    await joinWithCounts([0, 1, 2, 3]);
    const taking = intake.take([taken(0, 1), taken(1, 2), taken(2, 3), taken(3, 4)]);
    expect(deps.added).toHaveLength(4);
    deps.added[0]!.handled.resolve(true);
    deps.added[1]!.handled.resolve(true);
    deps.added[2]!.handled.resolve(false);
    deps.added[3]!.handled.resolve(true);
    await expect(taking).resolves.toBe(2);
  });

  it('takes nothing once released', async () => {
    await joinWithCounts([0, 1, 2, 3]);
    intake.released();
    await expect(intake.take([taken(0, 1)])).resolves.toBe(0);
    expect(deps.added).toEqual([]);
  });
});
