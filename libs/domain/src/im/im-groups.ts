import type { CommandReceivedV1, PushOutcomeV1 } from '#herald/contracts';
import { GroupCommit } from '../shared';
import type { ImRouting } from './im-routing';
import type { ImSend } from './im-send';
import type { ImSettle } from './im-settle';

/** A run of one sender's im.send commands, or of one recipient's IM delivery outcomes. */
export type ImRun =
  | { kind: 'send'; commands: ReadonlyArray<CommandReceivedV1> }
  | { kind: 'settle'; outcomes: ReadonlyArray<PushOutcomeV1> };

/**
 * The runs of `im.send` and of push outcomes that arrive concurrently, of different keys, handled
 * as ONE group (GroupCommit): one transaction and one publish after it for the sends and the
 * settles together, not one cycle (transaction, COMMIT and its fsync, produce) for each kind.
 * Runs of different keys share no command, message or push, so each gets what it gets alone; and
 * an outcome in a group is never of a push of the same group (a push goes out after its commit).
 *
 * In the transaction: the recipients' locks when some outcome is not answered (ImSettle
 * .recipientsToLock), with the sends' in the same statement; then the sends (ImSend), then the
 * settles (ImSettle), which record the sends' delivery attempts in their statement. A group of
 * answered outcomes alone needs no transaction: its one statement commits on its own
 * (ImSettle.answeredAlone). Everything goes out in the one publish after the commit (results, IMs,
 * `delivered`), except when an IM goes to a plain SIP device or a sender is told `stored`: then
 * what the group collected goes out inside the transaction (see ImSend and ImSettle for why).
 */
export class ImGroups {
  private readonly groups: GroupCommit<ImRun, void>;

  constructor(
    private readonly routing: ImRouting,
    private readonly sends: ImSend,
    private readonly settles: ImSettle,
  ) {
    this.groups = new GroupCommit<ImRun, void>(
      async (runs) => ({ results: runs.map(() => undefined), publish: await this.handle(runs) }),
      // Outcomes wait a little for an im.send to ride with: one transaction fewer per IM (the
      // sender's `delivered` comes up to GROUP_COMMIT_DEFER_MS later; the IM itself never waits).
      { observe: routing.deps.groups, deferrable: (run) => run.kind === 'settle' },
    );
  }

  /** Resolves once the run's group is committed and published (at once for an empty run). */
  async submit(run: ImRun): Promise<void> {
    const empty = run.kind === 'send' ? run.commands.length === 0 : run.outcomes.length === 0;
    if (!empty) {
      await this.groups.submit(run);
    }
  }

  /** Handles the runs in one transaction; returns the publish that follows its commit. */
  private async handle(runs: ReadonlyArray<ImRun>): Promise<() => Promise<void>> {
    const commands = runs.flatMap((run) => (run.kind === 'send' ? run.commands : []));
    const outcomes = runs.flatMap((run) => (run.kind === 'settle' ? run.outcomes : []));
    const run = this.routing.startRun();
    // Sections: the commands first, then the outcomes.
    const checked = await this.sends.check(run, commands, 0);
    const sending = this.sends.needsTransaction(checked);
    const settleLocks = outcomes.length > 0 ? this.settles.recipientsToLock(outcomes) : [];
    if (!sending && outcomes.length > 0 && settleLocks.length === 0) {
      await this.settles.answeredAlone(run, outcomes);
    } else if (sending || outcomes.length > 0) {
      await this.routing.deps.unitOfWork.run(async (tx) => {
        if (settleLocks.length > 0) {
          await this.routing.deps.messages.lockRecipients(tx, [
            ...settleLocks,
            ...this.sends.recipientsToLock(checked),
          ]);
        }
        const sent = sending ? await this.sends.inTransaction(tx, run, checked) : undefined;
        const deliveries = sent?.deliveries ?? [];
        const pushesToPlainDevices = sent?.pushesToPlainDevices === true;
        // The sends' attempts are recorded with the outcomes, in one statement, when there are some.
        const storedTold =
          outcomes.length > 0 &&
          (await this.settles.inTransaction(
            tx,
            run,
            outcomes,
            commands.length,
            settleLocks.length > 0,
            this.routing.attemptsOf(deliveries),
          ));
        if (outcomes.length === 0) {
          await this.routing.recordAttempts(tx, deliveries);
        }
        if (pushesToPlainDevices || storedTold) {
          await run.publisher.flush();
        }
      });
    }
    return async () => {
      await this.sends.replyRefused(checked);
      await run.publishAfterCommit();
    };
  }
}
