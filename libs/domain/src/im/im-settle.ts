import { canonicalAor } from '#herald/contracts';
import type { PushOutcomeV1 } from '#herald/contracts';
import type { PushRequest } from '../push';
import type { Transaction } from '../shared';
import { IM_DELIVERY_PUSH_ID_PREFIX, statusRequest } from './im-pushes';
import type { ImRouting, Unreachable } from './im-routing';
import type { RecordedOutcome, SettledPush } from './ports';
import { RunGroups } from './run';

/**
 * Push outcomes of IM deliveries: runs of outcomes (of one recipient) that arrive concurrently,
 * of different recipients, are settled as ONE group (GroupCommit): one transaction, one publish.
 */
export class ImSettle {
  private readonly groups = new RunGroups<PushOutcomeV1>((deliveries) => this.settleDeliveries(deliveries));

  constructor(private readonly routing: ImRouting) {}

  /**
   * Settles a run of IM pushes' outcomes among those of im-router's pushes (outcomes of results and
   * im.status are skipped): the first 200 OK of any
   * device tells the sender `delivered`; a message no device can take any more tells it `stored`.
   * Resolves once the run's group is committed.
   */
  async settleAll(outcomes: ReadonlyArray<PushOutcomeV1>): Promise<void> {
    await this.groups.submit(
      outcomes.filter((outcome) => outcome.pushId.startsWith(IM_DELIVERY_PUSH_ID_PREFIX)),
    );
  }

  /** The outcomes of a group of runs, in order, in one transaction and one publish. */
  private async settleDeliveries(deliveries: ReadonlyArray<PushOutcomeV1>): Promise<void> {
    const run = this.routing.startRun();
    await this.routing.deps.unitOfWork.run(async (tx) => {
      const settled = deliveries.every((outcome) => outcome.outcome === 'answered')
        ? await this.recordAnswered(tx, deliveries)
        : await this.recordLocked(tx, deliveries);
      const unreachable: Unreachable[] = [];
      const delivered: Array<{ section: number; request: PushRequest }> = [];
      for (const [section, outcome] of deliveries.entries()) {
        const push = settled[section];
        if (push === undefined) {
          continue;
        }
        if (outcome.outcome !== 'answered') {
          unreachable.push({ message: push.message, section });
        } else if (push.firstAnswer) {
          delivered.push({ section, request: statusRequest(push.message, { state: 'delivered' }) });
        }
      }
      await run.lookUpAhead(delivered.map(({ request }) => request));
      for (const { section, request } of delivered) {
        await run.gateway(section).send([request]);
      }
      // Evaluated once all outcomes are recorded: a message some outcome of this group answered
      // is not unreachable.
      await this.routing.tellStored(
        tx,
        run,
        unreachable,
        new Date(deliveries[deliveries.length - 1].at),
        (section) => run.gateway(section),
      );
      // Published before the commit: a device's answer, or that no device can take the message,
      // holds whether or not this commit does. After it, a failed publish would lose the notice
      // (the redelivered outcome is no first answer any more). A failed commit has the outcome
      // settled again, and the notice goes out again under the same push id (statusPushId).
      await run.publisher.flush();
    });
  }

  /**
   * Records outcomes under their recipients' locks: what tellStored decides must not change under
   * it (a login pushing the message again), and a push whose transaction has not committed yet (the
   * outcome came back first) is waited for.
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
  ): Promise<Array<SettledPush | undefined>> {
    const settled = await this.routing.deps.messages.recordOutcomes(tx, outcomes.map(recordedOutcome));
    const unfound = outcomes.flatMap((_, index) => (settled[index] === undefined ? [index] : []));
    if (unfound.length > 0) {
      const retried = await this.recordLocked(
        tx,
        unfound.map((index) => outcomes[index]!),
      );
      unfound.forEach((index, position) => (settled[index] = retried[position]));
    }
    return settled;
  }
}

function recordedOutcome(outcome: PushOutcomeV1): RecordedOutcome {
  return { pushId: outcome.pushId, outcome: outcome.outcome, at: new Date(outcome.at) };
}
