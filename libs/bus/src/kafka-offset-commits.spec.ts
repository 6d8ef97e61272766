import type { OffsetsByTopicPartition } from 'kafkajs';
import { KafkaOffsetCommits, type OffsetCommitter } from './kafka-offset-commits';

/** A consumer group's committer that records the commits sent, and can hold or fail one. */
class FakeGroup {
  readonly commits: OffsetsByTopicPartition[] = [];
  private release: (() => void) | undefined;
  holdNextCommit = false;
  failNextCommit: Error | undefined;

  readonly committer: OffsetCommitter = {
    commitOffsetsIfNecessary: async (offsets) => {
      if (offsets === undefined) throw new Error('the committer must be given the offsets to commit');
      this.commits.push(offsets);
      if (this.failNextCommit !== undefined) {
        const failure = this.failNextCommit;
        this.failNextCommit = undefined;
        throw failure;
      }
      if (this.holdNextCommit) {
        this.holdNextCommit = false;
        await new Promise<void>((resolve) => (this.release = resolve));
      }
    },
  };

  releaseCommit(): void {
    this.release?.();
  }
}

const committedOffsets = (commit: OffsetsByTopicPartition): string[] =>
  commit.topics.flatMap(({ topic, partitions }) =>
    partitions.map(({ partition, offset }) => `${topic}/${partition}:${offset}`),
  );

describe('KafkaOffsetCommits', () => {
  it('returns before the commit is done; notes made during a commit share one later commit of the latest offsets', async () => {
    const group = new FakeGroup();
    const errors: unknown[] = [];
    const commits = new KafkaOffsetCommits((error) => errors.push(error));

    group.holdNextCommit = true;
    commits.handled(group.committer, 't', 0, '1');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(group.commits.map(committedOffsets)).toEqual([['t/0:1']]);

    commits.handled(group.committer, 't', 0, '2');
    commits.handled(group.committer, 't', 1, '5');
    commits.handled(group.committer, 'u', 0, '7');
    expect(group.commits).toHaveLength(1);

    group.releaseCommit();
    await commits.idle();
    expect(group.commits.map(committedOffsets)).toEqual([['t/0:1'], ['t/0:2', 't/1:5', 'u/0:7']]);
    expect(errors).toEqual([]);
  });

  it('commits a partition again only once it handled more', async () => {
    const group = new FakeGroup();
    const commits = new KafkaOffsetCommits((error) => {
      throw error;
    });

    commits.handled(group.committer, 't', 0, '3');
    await commits.idle();
    commits.handled(group.committer, 't', 1, '4');
    await commits.idle();

    expect(group.commits.map(committedOffsets)).toEqual([['t/0:3'], ['t/1:4']]);
  });

  it('reports a failed commit instead of throwing, and commits its offsets with the next one', async () => {
    const group = new FakeGroup();
    const errors: unknown[] = [];
    const commits = new KafkaOffsetCommits((error) => errors.push(error));
    const failure = new Error('REBALANCE_IN_PROGRESS');

    group.failNextCommit = failure;
    commits.handled(group.committer, 't', 3, '10');
    await commits.idle();
    commits.handled(group.committer, 't', 4, '2');
    await commits.idle();

    expect(errors).toEqual([failure]);
    expect(group.commits.map(committedOffsets)).toEqual([['t/3:10'], ['t/3:10', 't/4:2']]);
  });

  it('commits nothing more of a partition it forgot (revoked)', async () => {
    const group = new FakeGroup();
    const commits = new KafkaOffsetCommits((error) => {
      throw error;
    });

    group.holdNextCommit = true;
    commits.handled(group.committer, 't', 0, '1');
    await new Promise<void>((resolve) => setImmediate(resolve));
    commits.handled(group.committer, 't', 0, '2');
    commits.handled(group.committer, 't', 1, '9');
    commits.forget('t', 0);
    group.releaseCommit();
    await commits.idle();

    expect(group.commits.map(committedOffsets)).toEqual([['t/0:1'], ['t/1:9']]);
  });
});

describe('KafkaOffsetCommits with a least interval', () => {
  it('commits at once, then gathers the notes made within the interval into one commit after it', async () => {
    const group = new FakeGroup();
    const commits = new KafkaOffsetCommits((error) => {
      throw error;
    }, 200);

    commits.handled(group.committer, 't', 0, '1');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(group.commits.map(committedOffsets)).toEqual([['t/0:1']]);
    commits.handled(group.committer, 't', 0, '2');
    commits.handled(group.committer, 't', 0, '3');
    await new Promise<void>((resolve) => setTimeout(resolve, 150));
    expect(group.commits).toHaveLength(1);

    await commits.idle();
    expect(group.commits.map(committedOffsets)).toEqual([['t/0:1'], ['t/0:3']]);
  });
});

describe('KafkaOffsetCommits flushed as the consumer stops', () => {
  it('commits the notes waiting for the interval at once instead of after it', async () => {
    const group = new FakeGroup();
    const commits = new KafkaOffsetCommits((error) => {
      throw error;
    }, 60_000);

    commits.handled(group.committer, 't', 0, '1');
    await new Promise<void>((resolve) => setImmediate(resolve));
    commits.handled(group.committer, 't', 0, '4');
    const started = Date.now();
    await commits.flush();

    expect(group.commits.map(committedOffsets)).toEqual([['t/0:1'], ['t/0:4']]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
