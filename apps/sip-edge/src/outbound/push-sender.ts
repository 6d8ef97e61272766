import { BusUnavailableError } from '#herald/bus';
import { PushOutcomeV1, pushOutcomeV1, PushRequestedV1 } from '#herald/contracts';
import { ClientTransactionOutcome, Flow, SipRequest, SipResponse, TransportError } from '#herald/sip';
import { BusPublisher } from '../inbound/bus-publisher';
import { buildPushRequest } from './push-request';
import { edgeLogger } from '../edge-logger';

/** What the sender needs of the transaction layer and the transports. */
export interface PushTransport {
  findFlow(flowId: string): Flow | undefined;
  sendRequest(request: SipRequest, flow: Flow): Promise<ClientTransactionOutcome<SipResponse>>;
}

type Outcome = Pick<PushOutcomeV1, 'outcome' | 'status'>;

/** RFC 3261 §17.1.2 outcome -> sip.push-outcome (architecture.md, Pushes). */
export function outcomeOf(result: ClientTransactionOutcome<SipResponse>): Outcome {
  switch (result.kind) {
    case 'answered':
      return result.statusCode >= 200 && result.statusCode < 300
        ? { outcome: 'answered', status: result.statusCode }
        : { outcome: 'failed', status: result.statusCode };
    case 'timed-out':
      return { outcome: 'timed-out' };
    case 'transport-error':
      // §17.1.4: the connection went away under the transaction: the edge no longer holds the flow.
      return result.error instanceof TransportError &&
        (result.error.code === 'flow-closed' || result.error.code === 'no-flow')
        ? { outcome: 'no-flow' }
        : { outcome: 'failed' };
  }
}

/**
 * Sends each push.requested over its flow in a non-INVITE client transaction and publishes the
 * outcome later: `send` resolves once the request is on its way (architecture.md, durability of
 * outbound), so the outbound offset is committed while Timer E/F still run.
 */
export class PushSender {
  private readonly logger = edgeLogger('SipEdgePush');

  constructor(
    private readonly transport: PushTransport,
    private readonly publisher: BusPublisher,
    private readonly edgeId: string,
    private readonly domain: string,
  ) {}

  async send(push: PushRequestedV1): Promise<void> {
    const flow = this.transport.findFlow(push.flowId);
    if (flow === undefined || !flow.isOpen()) {
      // Awaited: if the bus is down the handler throws and the record is retried, not lost.
      if (!(await this.report(push, { outcome: 'no-flow' }))) {
        throw new BusUnavailableError(`no-flow outcome of push ${push.pushId} not acknowledged`);
      }
      return;
    }
    const outcome = this.transport.sendRequest(buildPushRequest(push, flow, this.domain), flow);
    outcome
      .then((result) => this.report(push, outcomeOf(result)))
      .then((acknowledged) => {
        // Services re-deliver what has no `answered` outcome (architecture.md), so a lost outcome is logged, not retried.
        if (!acknowledged) this.logger.warn(`EDGE_PUSH_OUTCOME_LOST pushId=${push.pushId}`);
      })
      .catch((error: unknown) =>
        this.logger.error(`EDGE_PUSH_OUTCOME_FAILED pushId=${push.pushId}: ${String(error)}`),
      );
  }

  private report(push: PushRequestedV1, outcome: Outcome): Promise<boolean> {
    const event = pushOutcomeV1.build({
      pushId: push.pushId,
      origin: push.origin,
      aor: push.aor,
      deviceId: push.deviceId,
      edgeId: this.edgeId,
      ...outcome,
    });
    return this.publisher.publish(pushOutcomeV1.record(event));
  }
}
