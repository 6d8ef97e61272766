import { canonicalAor } from '#herald/contracts';
import type { PushOutcomeV1 } from '#herald/contracts';
import type { PushRequest } from '../push';
import { IM_DELIVERY_PUSH_ID_PREFIX, statusRequest } from './im-pushes';
import type { ImRouting, Unreachable } from './im-routing';
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
    const { messages } = this.routing.deps;
    await this.routing.deps.unitOfWork.run(async (tx) => {
      await messages.lockRecipients(
        tx,
        deliveries.map((outcome) => canonicalAor(outcome.aor)),
      );
      const settled = await messages.recordOutcomes(
        tx,
        deliveries.map((outcome) => ({
          pushId: outcome.pushId,
          outcome: outcome.outcome,
          at: new Date(outcome.at),
        })),
      );
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
      await this.routing.tellStored(tx, run, unreachable, new Date(deliveries[deliveries.length - 1].at));
      await run.publisher.flush();
    });
  }
}
