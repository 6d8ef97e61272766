import { ConsumedRecord, EventBus, handleTraced, SubscriptionHandle } from '#herald/bus';
import { ContractError, edgeOutboundTopic, edgeOutboundV1 } from '#herald/contracts';
import { PendingDecisions } from '../inbound/pending-decisions';
import { PushSender } from './push-sender';
import { TurnPacer } from './turn-pacer';
import { edgeLogger } from '../edge-logger';

/** The consumer group of one edge's outbound topic (architecture.md, Topics). */
export function edgeConsumerGroup(edgeId: string): string {
  return `herald-edge-${edgeId}`;
}

/**
 * Pushes started per turn of the event loop: libuv reads at most 32 datagrams from a UDP socket
 * per turn, so a turn's sends (each answered by the device) and the requests arriving meanwhile
 * stay within what the next poll phase reads.
 */
export const PUSHES_PER_LOOP_TURN = 16;

/** Consumes `edge.<edgeId>.outbound.v1`: pushes and NOTIFYs to send, REGISTER and SUBSCRIBE decisions to answer. */
export class OutboundConsumer {
  private readonly logger = edgeLogger('SipEdgeOutbound');
  private subscription: SubscriptionHandle | undefined;
  private readonly pacer = new TurnPacer(PUSHES_PER_LOOP_TURN);

  constructor(
    private readonly bus: EventBus,
    private readonly edgeId: string,
    private readonly pushSender: PushSender,
    private readonly pending: PendingDecisions,
  ) {}

  async start(): Promise<void> {
    const topic = edgeOutboundTopic(this.edgeId);
    await this.bus.ensureTopics([topic]);
    this.subscription = await this.bus.subscribe({
      groupId: edgeConsumerGroup(this.edgeId),
      topics: [topic],
      // A restarted edge has no flows and no pending REGISTERs: old records mean nothing to it.
      fromBeginning: false,
      handler: (record) => this.handle(record),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /**
   * One frame of the edge link (architecture.md, "Topics"): its records in order, each through
   * `handle` as the Kafka consumer's, in a CONSUMER span continuing the trace its headers carry (as
   * the bus's consumer does, so an IM's trace reaches its push); resolves with how many were handled
   * before one threw. The link acknowledges those and refuses the rest, which the service then
   * publishes to Kafka.
   */
  async handleInOrder(records: readonly ConsumedRecord[]): Promise<number> {
    for (const [index, record] of records.entries()) {
      try {
        await handleTraced(record, (traced) => this.handle(traced));
      } catch (error) {
        this.logger.warn(
          'EDGE_LINK_RECORD_FAILED',
          'a record of the link failed: the rest of its frame goes to Kafka',
          {
            handled: index,
            refused: records.length - index,
            aor: record.key,
            error: String(error),
          },
        );
        return index;
      }
    }
    return records.length;
  }

  async handle(record: ConsumedRecord): Promise<void> {
    let event;
    try {
      event = edgeOutboundV1.decode(record.value);
    } catch (error) {
      if (!(error instanceof ContractError)) throw error;
      // Retrying a record that breaks its contract would block the partition forever.
      this.logger.error('EDGE_OUTBOUND_INVALID', error.message, {
        reason: error.code,
        offset: record.offset,
      });
      return;
    }
    if (event.type === 'push.requested' || event.type === 'notify.requested') {
      await this.pacer.admit();
      await this.pushSender.send(event);
      return;
    }
    if (!this.pending.resolve(event)) {
      this.logger.warn('EDGE_DECISION_UNMATCHED', 'no transaction waits for this decision', {
        txKey: event.txKey,
        aor: event.aor,
      });
    }
  }
}
