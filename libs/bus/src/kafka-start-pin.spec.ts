import type { CommittedOffset, GroupOffsetsReader, PartitionLogEnds } from './consumer-lag';
import { KafkaStartPin, type PinnedOffset } from './kafka-start-pin';

/** A broker's offsets as the fake admin reads them: log ends per topic, the group's commits. */
function fakeBroker(ends: Record<string, PartitionLogEnds[]>, committed: CommittedOffset[]) {
  const commits: PinnedOffset[][] = [];
  const offsets: GroupOffsetsReader = {
    committed: (_groupId, topics) =>
      Promise.resolve(committed.filter((offset) => topics.includes(offset.topic))),
    logEnds: (topic) => Promise.resolve(ends[topic] ?? []),
  };
  const commit = (pins: PinnedOffset[]): Promise<void> => {
    commits.push(pins);
    return Promise.resolve();
  };
  return { offsets, commit, commits, ends };
}

const TOPIC = 'edge.e1.outbound.v1';

describe('KafkaStartPin', () => {
  it('commits the end captured before the join for each assigned partition the group never committed', async () => {
    const broker = fakeBroker(
      {
        [TOPIC]: [
          { partition: 0, high: '10', low: '0' },
          { partition: 1, high: '20', low: '0' },
          { partition: 2, high: '30', low: '0' },
        ],
      },
      [
        { topic: TOPIC, partition: 0, offset: '-1' },
        { topic: TOPIC, partition: 1, offset: '15' },
        { topic: TOPIC, partition: 2, offset: '-1' },
      ],
    );
    const pin = new KafkaStartPin({ groupId: 'g', topics: [TOPIC], ...broker });
    await pin.capture();
    // Records published after the capture: the pin keeps the start found before the join.
    broker.ends[TOPIC] = [
      { partition: 0, high: '14', low: '0' },
      { partition: 1, high: '25', low: '0' },
      { partition: 2, high: '33', low: '0' },
    ];

    const pinned = await pin.pin({ [TOPIC]: [0, 1, 2] });

    expect(pinned).toEqual([
      { topic: TOPIC, partition: 0, offset: '10' },
      { topic: TOPIC, partition: 2, offset: '30' },
    ]);
    expect(broker.commits).toEqual([pinned]);
  });

  it('commits nothing where the group committed, and nothing for partitions not assigned', async () => {
    const broker = fakeBroker(
      {
        [TOPIC]: [
          { partition: 0, high: '10', low: '0' },
          { partition: 1, high: '5', low: '0' },
        ],
      },
      [
        { topic: TOPIC, partition: 0, offset: '7' },
        { topic: TOPIC, partition: 1, offset: '-1' },
      ],
    );
    const pin = new KafkaStartPin({ groupId: 'g', topics: [TOPIC], ...broker });
    await pin.capture();

    expect(await pin.pin({ [TOPIC]: [0] })).toEqual([]);
    expect(await pin.pin({})).toEqual([]);
    expect(broker.commits).toEqual([]);
  });

  it('starts a partition added after the capture at its beginning: all its records came after the subscription', async () => {
    const broker = fakeBroker({ [TOPIC]: [{ partition: 0, high: '10', low: '0' }] }, [
      { topic: TOPIC, partition: 0, offset: '12' },
      { topic: TOPIC, partition: 1, offset: '-1' },
    ]);
    const pin = new KafkaStartPin({ groupId: 'g', topics: [TOPIC], ...broker });
    await pin.capture();
    broker.ends[TOPIC] = [
      { partition: 0, high: '12', low: '0' },
      { partition: 1, high: '4', low: '2' },
    ];

    expect(await pin.pin({ [TOPIC]: [0, 1] })).toEqual([{ topic: TOPIC, partition: 1, offset: '2' }]);
    // Pinned once: a later join that finds it still uncommitted commits the same start.
    expect(await pin.pin({ [TOPIC]: [1] })).toEqual([{ topic: TOPIC, partition: 1, offset: '2' }]);
  });

  it('propagates a failed commit, so the join logs it and the next join tries again', async () => {
    const broker = fakeBroker({ [TOPIC]: [{ partition: 0, high: '3', low: '0' }] }, [
      { topic: TOPIC, partition: 0, offset: '-1' },
    ]);
    const pin = new KafkaStartPin({
      groupId: 'g',
      topics: [TOPIC],
      offsets: broker.offsets,
      commit: () => Promise.reject(new Error('not the coordinator')),
    });
    await pin.capture();

    await expect(pin.pin({ [TOPIC]: [0] })).rejects.toThrow('not the coordinator');
  });
});
