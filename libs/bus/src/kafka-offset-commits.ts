import type { EachBatchPayload } from 'kafkajs';
import { SerialBatcher } from './serial-batcher';

/** The part of a kafkajs batch payload that commits the offsets its consumer group resolved. */
export type OffsetCommitter = Pick<EachBatchPayload, 'commitOffsetsIfNecessary' | 'uncommittedOffsets'>;

/**
 * Commits one consumer's handled offsets off its fetch path. kafkajs' autoCommit commits at the
 * end of every batch before it fetches again, so each new record waited for an OffsetCommit round
 * trip; here `request` returns at once and the commits run one at a time, each taking every offset
 * resolved (handled) by then, so requests made during a commit share the next one. Only resolved
 * offsets are committed: still never past an unhandled record.
 */
export class KafkaOffsetCommits {
  private readonly commits = new SerialBatcher<OffsetCommitter>((committers) =>
    commitResolved(committers[committers.length - 1]),
  );

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Commits every offset resolved so far through `committer`'s consumer group, soon; returns at once. */
  request(committer: OffsetCommitter): void {
    this.commits.submit(committer).catch(this.onError);
  }

  /** Resolves when every commit requested so far is done (or failed and was reported). */
  idle(): Promise<void> {
    return this.commits.idle();
  }
}

async function commitResolved(committer: OffsetCommitter | undefined): Promise<void> {
  if (committer !== undefined) {
    // Given explicit offsets, kafkajs commits them unconditionally, also while its consumer stops.
    await committer.commitOffsetsIfNecessary(committer.uncommittedOffsets());
  }
}
