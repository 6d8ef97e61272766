import { canonicalAor } from '#herald/contracts';
import type { PushOutcomeV1 } from '#herald/contracts';
import type { PushRequest } from '../push';
import type { Transaction } from '../shared';
import { IM_DELIVERY_PUSH_ID_PREFIX, statusRequest } from './im-pushes';
import type { ImRouting, Unreachable } from './im-routing';
import type { DeliveryAttempt, RecordedOutcome, SettledPush } from './ports';
import type { Run } from './run';

/**
 * Push outcomes of IM deliveries, for ImGroups: the outcomes of a group of runs (each one
 * recipient's) are settled in the group's one transaction, their notices in its publish.
 */
export class ImSettle {
  constructor(private readonly routing: ImRouting) {}

  /** Of a run of outcomes of im-router's pushes, those of IM deliveries (results and im.status are skipped). */
  deliveriesOf(outcomes: ReadonlyArray<PushOutcomeV1>): PushOutcomeV1[] {
    return outcomes.filter((outcome) => outcome.pushId.startsWith(IM_DELIVERY_PUSH_ID_PREFIX));
  }

  /**
   * Settles the outcomes of a group, in order, in sections `firstSection` on: the first 200 OK of
   * any device tells the sender `delivered`; a message no device can take any more tells it
   * `stored`. `locked`: the transaction holds the locks of the outcomes' recipients already
   * (recipientsToLock). `attempts`, the group's sends' new pushes, are recorded in the same
   * statement as the outcomes (MessageStore.recordOutcomes: one round trip less): they are of
   * messages this group created, whose pushes are not out yet, so no outcome of the group is
   * theirs. Returns whether the notices must go out before the commit (`stored`); else they go out
   * in the group's publish after it.
   */
  async inTransaction(
    tx: Transaction,
    run: Run,
    deliveries: ReadonlyArray<PushOutcomeV1>,
    firstSection: number,
    locked: boolean,
    attempts: readonly DeliveryAttempt[],
  ): Promise<boolean> {
    const settled = locked
      ? await this.routing.deps.messages.recordOutcomes(tx, deliveries.map(recordedOutcome), attempts)
      : await this.recordAnswered(tx, deliveries, attempts);
    const unreachable = await this.tellDelivered(run, deliveries, settled, firstSection);
    // Evaluated once all outcomes are recorded: a message some outcome of this group answered
    // is not unreachable.
    const storedTold = await this.routing.tellStored(
      tx,
      run,
      unreachable,
      new Date(deliveries[deliveries.length - 1].at),
      (section) => run.gateway(section),
    );
    // `delivered` may go out after the commit: a failed publish has the outcome redelivered, and
    // recordOutcomes reports the answer that delivered a message as its first answer again, told
    // again under the same push id (statusPushId). `stored` goes out before the commit: a
    // redelivered outcome finds the sender told (stored_notified_at) and does not tell it again;
    // a failed commit has the outcome settled again, told again under the same push id.
    return storedTold;
  }

  /**
   * Settles a group of answered outcomes alone (no sends in its group, recipientsToLock empty)
   * without BEGIN and COMMIT: recording them is ONE statement (recordOutcomes), atomic on its own,
   * so a transaction around it only cost two round trips. Nothing else is decided: no `stored` to
   * tell, and its `delivered` go out in the group's publish after that statement committed, as
   * after a COMMIT. An outcome whose push was not found is recorded again in a transaction of its
   * own under its recipient's lock (recordLocked): outcomes apply one by one anyway, and a crash
   * between the two has the outcomes redelivered, recorded again and `delivered` told again under
   * the same push id, as in inTransaction.
   */
  async answeredAlone(run: Run, deliveries: ReadonlyArray<PushOutcomeV1>): Promise<void> {
    const { unitOfWork, messages } = this.routing.deps;
    const settled = await recordedAgainWhereUnfound(
      deliveries,
      await unitOfWork.runSingleStatement((tx) =>
        messages.recordOutcomes(tx, deliveries.map(recordedOutcome)),
      ),
      (unfound) => unitOfWork.run((tx) => this.recordLocked(tx, unfound)),
    );
    await this.tellDelivered(run, deliveries, settled, 0);
  }

  /**
   * Collects, in the group's publish, the `delivered` of each message an outcome answered first
   * (once per message: a redelivered answer may come twice in a group); returns the messages
   * whose outcome was not answered, for tellStored.
   */
  private async tellDelivered(
    run: Run,
    deliveries: ReadonlyArray<PushOutcomeV1>,
    settled: ReadonlyArray<SettledPush | undefined>,
    firstSection: number,
  ): Promise<Unreachable[]> {
    const unreachable: Unreachable[] = [];
    const delivered: Array<{ section: number; request: PushRequest }> = [];
    const told = new Set<string>();
    for (const [index, outcome] of deliveries.entries()) {
      const push = settled[index];
      if (push === undefined) {
        continue;
      }
      const section = firstSection + index;
      if (outcome.outcome !== 'answered') {
        unreachable.push({ message: push.message, section });
      } else if (push.firstAnswer && !told.has(push.message.key)) {
        told.add(push.message.key);
        delivered.push({ section, request: statusRequest(push.message, { state: 'delivered' }) });
      }
    }
    await run.lookUpAhead(delivered.map(({ request }) => request));
    for (const { section, request } of delivered) {
      await run.gateway(section).send([request]);
    }
    return unreachable;
  }

  /**
   * The recipients whose locks the group's transaction takes first when its outcomes are not all
   * answered (none otherwise): what tellStored decides must not change under it (a login pushing
   * the message again), and a push whose transaction has not committed yet (the outcome came back
   * first) is waited for. ImGroups takes them with its sends' in ONE statement, in the one lock
   * order, before any row is written, so two groups never wait for each other in a cycle.
   */
  recipientsToLock(deliveries: ReadonlyArray<PushOutcomeV1>): string[] {
    return deliveries.every((outcome) => outcome.outcome === 'answered')
      ? []
      : deliveries.map((outcome) => canonicalAor(outcome.aor));
  }

  /**
   * Records answered outcomes whose push was not found under their recipients' locks. In a group
   * with sends these come after the sends' locks (two sorted sets, not one): a rare path (an
   * answer back before its push's commit), and a cycle it closes is ended by PostgreSQL's deadlock
   * detection, the group then retried run by run.
   */
  private async recordLocked(
    tx: Transaction,
    outcomes: ReadonlyArray<PushOutcomeV1>,
  ): Promise<Array<SettledPush | undefined>> {
    await this.routing.deps.messages.lockRecipients(
      tx,
      outcomes.map((outcome) => canonicalAor(outcome.aor)),
    );
    return this.routing.deps.messages.recordOutcomes(tx, outcomes.map(recordedOutcome));
  }

  /**
   * Records answered outcomes without taking locks first: marking a message delivered is one row
   * update that concurrent settles serialize on, and nothing else is decided (outcomes are keyed
   * by recipient, so the bus runs one recipient's settles one after the other anyway). Only an
   * outcome whose push was not found (its transaction had not committed when the statement began,
   * or it is no IM delivery) is recorded again under its recipient's lock, which waits for that
   * transaction.
   */
  private async recordAnswered(
    tx: Transaction,
    outcomes: ReadonlyArray<PushOutcomeV1>,
    attempts: readonly DeliveryAttempt[],
  ): Promise<Array<SettledPush | undefined>> {
    return recordedAgainWhereUnfound(
      outcomes,
      await this.routing.deps.messages.recordOutcomes(tx, outcomes.map(recordedOutcome), attempts),
      (unfound) => this.recordLocked(tx, unfound),
    );
  }
}

/**
 * `settled` (one entry per outcome), with the outcomes whose push was not found recorded again by
 * `recordAgain` (recordLocked, in whichever transaction the caller runs it).
 */
async function recordedAgainWhereUnfound(
  outcomes: ReadonlyArray<PushOutcomeV1>,
  settled: Array<SettledPush | undefined>,
  recordAgain: (unfound: PushOutcomeV1[]) => Promise<Array<SettledPush | undefined>>,
): Promise<Array<SettledPush | undefined>> {
  const unfound = settled.flatMap((push, index) => (push === undefined ? [index] : []));
  if (unfound.length > 0) {
    const retried = await recordAgain(unfound.map((index) => outcomes[index]!));
    unfound.forEach((index, position) => (settled[index] = retried[position]));
  }
  return settled;
}

function recordedOutcome(outcome: PushOutcomeV1): RecordedOutcome {
  return { pushId: outcome.pushId, outcome: outcome.outcome, at: new Date(outcome.at) };
}
