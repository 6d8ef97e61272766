import type { OffsetsByTopicPartition } from 'kafkajs';
import { KafkaOffsetCommits, type OffsetCommitter } from './kafka-offset-commits';

/** A consumer group's resolved offsets (next offset to read, as kafkajs keeps them) and the commits sent. */
class FakeGroup {
  resolved = new Map<number, string>();
  readonly commits: OffsetsByTopicPartition[] = [];
  private release: (() => void) | undefined;
  holdNextCommit = false;
  failNextCommit: Error | undefined;

  committer(): OffsetCommitter {
    return {
      uncommittedOffsets: () => ({
        topics: [
          {
            topic: 't',
            partitions: [...this.resolved].map(([partition, offset]) => ({ partition, offset })),
          },
        ],
      }),
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
  }

  releaseCommit(): void {
    this.release?.();
  }
}

const committedOffsets = (commit: OffsetsByTopicPartition): string[] =>
  commit.topics.flatMap(({ partitions }) =>
    partitions.map(({ partition, offset }) => `${partition}:${offset}`),
  );

describe('KafkaOffsetCommits', () => {
  it('returns before the commit is done; requests made during a commit share one later commit of the latest offsets', async () => {
    const group = new FakeGroup();
    const errors: unknown[] = [];
    const commits = new KafkaOffsetCommits((error) => errors.push(error));

    group.resolved.set(0, '1');
    group.holdNextCommit = true;
    commits.request(group.committer());
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(group.commits.map(committedOffsets)).toEqual([['0:1']]);

    group.resolved.set(0, '2');
    commits.request(group.committer());
    group.resolved.set(1, '5');
    commits.request(group.committer());
    expect(group.commits).toHaveLength(1);

    group.releaseCommit();
    await commits.idle();
    expect(group.commits.map(committedOffsets)).toEqual([['0:1'], ['0:2', '1:5']]);
    expect(errors).toEqual([]);
  });

  it('reports a failed commit instead of throwing, and commits the offsets with the next request', async () => {
    const group = new FakeGroup();
    const errors: unknown[] = [];
    const commits = new KafkaOffsetCommits((error) => errors.push(error));
    const failure = new Error('REBALANCE_IN_PROGRESS');

    group.resolved.set(3, '10');
    group.failNextCommit = failure;
    commits.request(group.committer());
    await commits.idle();
    commits.request(group.committer());
    await commits.idle();

    expect(errors).toEqual([failure]);
    expect(group.commits.map(committedOffsets)).toEqual([['3:10'], ['3:10']]);
  });
});
