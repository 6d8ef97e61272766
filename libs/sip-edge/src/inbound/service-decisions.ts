import type { EncodedRecord } from '#herald/contracts';
import type { SipRequest, SipResponse } from '#herald/sip';
import type { DecisionKind, DecisionTimeouts } from '../edge-config';
import { edgeLogger } from '../edge-logger';
import type { BusPublisher } from './bus-publisher';
import type { DecisionOf, PendingDecisions } from './pending-decisions';

/** Each kind of request: the decision it waits for, the service that makes it, its log code. */
const KINDS = {
  register: {
    decision: 'register.decided',
    service: 'registrar',
    timeoutCode: 'EDGE_REGISTER_DECISION_TIMEOUT',
  },
  publish: { decision: 'publish.decided', service: 'presence', timeoutCode: 'EDGE_PUBLISH_DECISION_TIMEOUT' },
  subscribe: {
    decision: 'subscribe.decided',
    service: 'presence',
    timeoutCode: 'EDGE_SUBSCRIBE_DECISION_TIMEOUT',
  },
} as const;

type DecisionTypeOf<K extends DecisionKind> = (typeof KINDS)[K]['decision'];

/** What a request learned from its service: the decision, or the 503 to answer instead. */
export type Asked<K extends DecisionKind> =
  { decision: DecisionOf<DecisionTypeOf<K>> } | { unavailable: SipResponse };

/**
 * The edge's one way to ask a service and await its decision while the server transaction stays
 * open (REGISTER -> auth, PUBLISH and SUBSCRIBE -> presence): wait registered before the publish
 * (a fast decision is never missed), 503 with Retry-After when the bus refuses the request or the
 * decision does not come within the kind's timeout. The service skips a request past its deadline.
 */
export class ServiceDecisions {
  private readonly logger = edgeLogger('SipEdgeDecisions');

  constructor(
    private readonly timeoutsMs: DecisionTimeouts,
    private readonly pending: PendingDecisions,
    private readonly publisher: BusPublisher,
    private readonly now: () => number,
  ) {}

  /** The `deadline` to put in a request of `kind` sent now: when the edge stops waiting. */
  deadline(kind: DecisionKind): string {
    return new Date(this.now() + this.timeoutsMs[kind]).toISOString();
  }

  async ask<K extends DecisionKind>(
    kind: K,
    request: SipRequest,
    txKey: string,
    record: EncodedRecord,
    aor: string,
  ): Promise<Asked<K>> {
    const { decision: type, service, timeoutCode } = KINDS[kind];
    const waiting = this.pending.wait(type as DecisionTypeOf<K>, txKey, this.timeoutsMs[kind]);
    const published = this.publisher.publish(record);
    // Over the edge link the publish resolves only once the service HANDLED the request, and its
    // decision (sent once the service committed) may come first: it is answered at once, and a
    // decision that does not come within the kind's timeout is a 503 whatever the publish does.
    const first = await Promise.race([
      published.then((accepted) => ({ accepted })),
      waiting.decision.then((decided) => ({ decided })),
    ]);
    if ('accepted' in first && !first.accepted) {
      waiting.cancel();
      return { unavailable: this.publisher.unavailable(request) };
    }
    const decision = 'decided' in first ? first.decided : await waiting.decision;
    if (decision === undefined) {
      this.logger.warn(timeoutCode, 'no decision from the service in time', { aor, txKey });
      return {
        unavailable: this.publisher.unavailable(request, `Service Unavailable (${service} did not answer)`),
      };
    }
    return { decision };
  }
}
