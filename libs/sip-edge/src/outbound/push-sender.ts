import { awaitedByFrameHandling, BusUnavailableError } from '#herald/bus';
import {
  hashAor,
  heraldMetrics,
  type PushDropReason,
  RateLimitedWarnings,
  SPAN_ATTRIBUTES,
  SpanKind,
  SpanStatusCode,
  startSpan,
  withActiveSpan,
} from '#herald/observability';
import {
  isOutcomeWanted,
  NotifyRequestedV1,
  PushOutcomeV1,
  pushOutcomeV1,
  PushRequestedV1,
  routedPushOutcomeRecordV1,
} from '#herald/contracts';
import { ClientTransactionOutcome, Flow, SipRequest, SipResponse, TransportError } from '#herald/sip';
import { InFlight } from '../drain/in-flight';
import { BusPublisher } from '../inbound/bus-publisher';
import { AnsweredPushes } from './answered-pushes';
import { buildNotifyRequest } from './notify-request';
import { buildPushRequest } from './push-request';
import { edgeLogger } from '../edge-logger';
import { BoundDevice } from '../flows/flow-bind-waits';

/** What the sender needs of the transaction layer, the transports and the flow registry. */
export interface PushTransport {
  findFlow(flowId: string): Flow | undefined;
  /** The device registered on the flow now (FlowRegistry), if any. */
  deviceOn(flowId: string): BoundDevice | undefined;
  /** The device the flow gets bound to next (FlowBindWaits), or undefined when none is in time. */
  waitForBinding(flowId: string): Promise<BoundDevice | undefined>;
  sendRequest(request: SipRequest, flow: Flow): Promise<ClientTransactionOutcome<SipResponse>>;
}

type Outcome = Pick<PushOutcomeV1, 'outcome' | 'status'>;

/**
 * At most one log line per reason of dropped pushes per this interval: a restarted edge, or a
 * device whose connection closed, drops many at once (herald_sip_pushes_dropped_total counts all).
 */
export const PUSH_DROP_LOG_INTERVAL_MS = 10_000;

/** The log line of each reason a push is sent to no one. */
const DROP_LINES: Record<PushDropReason, { code: string; message: string }> = {
  'flow-gone': {
    code: 'EDGE_PUSH_FLOW_GONE',
    message: 'the flow is not held here or has closed: the push is not sent (no-flow)',
  },
  'flow-unbound': {
    code: 'EDGE_PUSH_FLOW_UNBOUND',
    message: 'no registration holds the flow here: the push is not sent (no-flow)',
  },
  'flow-reused': {
    code: 'EDGE_PUSH_FLOW_REUSED',
    message: 'the flow now carries another device: the push is not sent (no-flow)',
  },
};

/** What the outbound topic asks the edge to send: a push, or a NOTIFY in a subscription dialog. */
export type OutboundSend = PushRequestedV1 | NotifyRequestedV1;

function methodOf(push: OutboundSend): string {
  return push.type === 'notify.requested' ? 'NOTIFY' : push.method;
}

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
 * outbound), so the outbound offset is committed while Timer E/F still run. A push whose origin
 * wants no outcome (`outcomeWanted: false`) is sent, timed and remembered alike; only its outcome
 * is not published.
 */
export class PushSender {
  private readonly logger = edgeLogger('SipEdgePush');
  private readonly dropWarnings = new RateLimitedWarnings(this.logger, PUSH_DROP_LOG_INTERVAL_MS);
  private readonly live = new InFlight();

  constructor(
    private readonly transport: PushTransport,
    private readonly publisher: BusPublisher,
    private readonly edgeId: string,
    private readonly domain: string,
    /** HERALD_AOR_HASH_KEY: keys the AOR hash of push spans (hashAor's fixed key when undefined). */
    private readonly aorHashKey?: string,
    private readonly answered = new AnsweredPushes(),
  ) {}

  async send(push: OutboundSend): Promise<void> {
    const answeredWith = this.answered.statusOf(push.pushId);
    if (answeredWith !== undefined) {
      // Sent again under an id its device already answered (AnsweredPushes): answered from memory.
      if (!isOutcomeWanted(push)) return;
      // Awaited by the record's handling: over the edge link it goes to Kafka (awaitedByFrameHandling).
      const reported = await awaitedByFrameHandling(() =>
        this.report(push, { outcome: 'answered', status: answeredWith }),
      );
      if (!reported) {
        throw new BusUnavailableError(`answered outcome of repeated push ${push.pushId} not acknowledged`);
      }
      return;
    }
    const flow = this.transport.findFlow(push.flowId);
    const device = this.transport.deviceOn(push.flowId);
    if (flow !== undefined && flow.isOpen() && device === undefined && waitsForBinding(push, flow)) {
      void this.live.track(this.sendOnceBound(push));
      return;
    }
    const checked = checkFlow(push, flow, device);
    if ('flow' in checked) {
      this.transmit(push, checked.flow);
      return;
    }
    this.drop(push, checked.dropped);
    // Awaited: if the bus is down the handler throws and the record is retried, not lost (and over
    // the edge link it goes to Kafka: awaitedByFrameHandling).
    if (!(await awaitedByFrameHandling(() => this.reportNoFlow(push)))) {
      throw new BusUnavailableError(`no-flow outcome of push ${push.pushId} not acknowledged`);
    }
  }

  /**
   * A push over a UDP flow this process holds no registration on goes once the flow's next
   * REGISTER binds it to the push's device, and never to another one: seed 2026120614's chaos
   * soak, where an edge restarted under the same edge id sent a previous process's push for
   * `udp:…:X` to the device of another user that had got port X, which answered 200 OK.
   */
  private async sendOnceBound(push: OutboundSend): Promise<void> {
    const device = await this.transport.waitForBinding(push.flowId);
    const checked: FlowCheck =
      device === undefined
        ? { dropped: 'flow-unbound' }
        : checkFlow(push, this.transport.findFlow(push.flowId), device);
    if ('flow' in checked) {
      this.transmit(push, checked.flow);
      return;
    }
    this.drop(push, checked.dropped);
    // The record's offset is committed already: a lost outcome is logged, as after a transaction.
    if (!(await this.reportNoFlow(push)))
      this.logger.warn('EDGE_PUSH_OUTCOME_LOST', 'the push outcome was not acknowledged', {
        pushId: push.pushId,
      });
  }

  /** A push sent to no one: counted, and logged (a sample of them when they come in floods). */
  private drop(push: OutboundSend, reason: PushDropReason): void {
    heraldMetrics().sipPushDropped(reason);
    const { code, message } = DROP_LINES[reason];
    this.dropWarnings.warn(code, message, {
      pushId: push.pushId,
      flowId: push.flowId,
      method: methodOf(push),
      origin: push.origin,
    });
  }

  /** Publishes `no-flow` when the push's origin wants its outcome; false when the bus did not take it. */
  private reportNoFlow(push: OutboundSend): Promise<boolean> {
    return isOutcomeWanted(push) ? this.report(push, { outcome: 'no-flow' }) : Promise.resolve(true);
  }

  /** Sends the push in a client transaction and reports its outcome when the transaction ends. */
  private transmit(push: OutboundSend, flow: Flow): void {
    const request =
      push.type === 'notify.requested'
        ? buildNotifyRequest(push, flow)
        : buildPushRequest(push, flow, this.domain);
    // Ends with the transaction (final response or Timer F), after the consumer span: its child.
    const span = startSpan(`SIP ${methodOf(push)}`, {
      kind: SpanKind.CLIENT,
      attributes: () => ({
        [SPAN_ATTRIBUTES.sipMethod]: methodOf(push),
        [SPAN_ATTRIBUTES.sipCallId]: request.callId ?? '',
        [SPAN_ATTRIBUTES.sipTransport]: flow.protocol,
      }),
    });
    // Only a recorded span keeps its attributes: the HMAC for one that is dropped was ~2.5 % of the
    // edge CPU under IM load (three pushes per IM).
    if (span.isRecording()) span.setAttribute(SPAN_ATTRIBUTES.aorHash, hashAor(push.aor, this.aorHashKey));
    const outcome = this.transport.sendRequest(request, flow);
    const reported = outcome
      .then((result) => {
        recordOutcome(push, result);
        if (result.kind === 'answered' && result.statusCode >= 200 && result.statusCode < 300) {
          this.answered.remember(push.pushId, result.statusCode);
        }
        if (result.kind === 'answered') span.setAttribute(SPAN_ATTRIBUTES.sipResponseCode, result.statusCode);
        else span.setStatus({ code: SpanStatusCode.ERROR, message: result.kind });
        span.end();
        // Sent into a connection that closed under the transaction: no one got it.
        if (result.kind === 'transport-error' && outcomeOf(result).outcome === 'no-flow') {
          this.drop(push, 'flow-gone');
        }
        if (!isOutcomeWanted(push)) return true;
        return withActiveSpan(span, () => this.report(push, outcomeOf(result)));
      })
      .then((acknowledged) => {
        // Services re-deliver what has no `answered` outcome (architecture.md), so a lost outcome is logged, not retried.
        if (!acknowledged)
          this.logger.warn('EDGE_PUSH_OUTCOME_LOST', 'the push outcome was not acknowledged', {
            pushId: push.pushId,
          });
      })
      .catch((error: unknown) =>
        this.logger.error('EDGE_PUSH_OUTCOME_FAILED', 'publishing the push outcome failed', {
          pushId: push.pushId,
          err: error,
        }),
      );
    void this.live.track(reported);
  }

  /** Pushes sent and not yet reported (waiting for the device's final response or Timer F). */
  get inProgress(): number {
    return this.live.size;
  }

  /** Resolves once every push sent so far has its outcome published (or its publish failed). */
  settled(): Promise<void> {
    return this.live.settled();
  }

  private report(push: OutboundSend, outcome: Outcome): Promise<boolean> {
    // Trusted: every field is the decoded (validated) push's, this edge's id or a final status.
    const event = pushOutcomeV1.buildTrusted({
      pushId: push.pushId,
      origin: push.origin,
      aor: push.aor,
      deviceId: push.deviceId,
      edgeId: this.edgeId,
      ...outcome,
      ...(push.type === 'notify.requested' ? { subscriptionId: push.subscriptionId } : {}),
    });
    return this.publisher.publish(routedPushOutcomeRecordV1(event));
  }
}

/** The flow to send a push over, or why it is sent to no one. */
type FlowCheck = { flow: Flow } | { dropped: PushDropReason };

/**
 * The push's flow when it can go over it: not when the flow is not held here or has closed, nor
 * when it now carries another device than the push's (a UDP source port reused by a new client,
 * which registered since: its device must not get another user's IM, answered 200 and so taken
 * as delivered; for the push's device the flow is gone).
 */
function checkFlow(push: OutboundSend, flow: Flow | undefined, device: BoundDevice | undefined): FlowCheck {
  if (flow === undefined || !flow.isOpen()) return { dropped: 'flow-gone' };
  if (device !== undefined && (device.aor !== push.aor || device.deviceId !== push.deviceId)) {
    return { dropped: 'flow-reused' };
  }
  return { flow };
}

/**
 * A push (not a NOTIFY, whose subscriber need not be registered) over UDP: its flow is a source
 * address that another client may hold now. A connection flow is its client's alone.
 */
function waitsForBinding(push: OutboundSend, flow: Flow): boolean {
  return push.type === 'push.requested' && !flow.reliable;
}

/** herald_sip_transaction_timeouts_total, and herald_im_delivery_latency_seconds for a live IM answered 2xx. */
function recordOutcome(push: OutboundSend, result: ClientTransactionOutcome<SipResponse>): void {
  if (result.kind === 'timed-out') {
    heraldMetrics().sipTransactionTimeout();
    return;
  }
  if (result.kind !== 'answered' || result.statusCode < 200 || result.statusCode >= 300) return;
  const sentAt = liveImSentAt(push);
  if (sentAt !== undefined) heraldMetrics().imDelivered(Math.max(0, Date.now() - sentAt) / 1000);
}

/** When the pushed `im` was sent (ms), for an IM delivered live; stored (offline) IMs measure the store, not delivery. */
function liveImSentAt(push: OutboundSend): number | undefined {
  if (push.type !== 'push.requested' || push.liveImSentAt === undefined) return undefined;
  return Date.parse(push.liveImSentAt);
}
