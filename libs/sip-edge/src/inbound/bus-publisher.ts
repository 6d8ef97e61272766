import { EventBus } from '#herald/bus';
import { EncodedRecord } from '#herald/contracts';
import { SipRequest, SipResponse } from '#herald/sip';
import { serviceUnavailable } from '../sip/responses';
import { edgeLogger } from '../edge-logger';

/** Publishes the events a client request produces; 200 OK only follows an acknowledged publish. */
export class BusPublisher {
  private readonly logger = edgeLogger('SipEdgeBus');

  constructor(
    private readonly bus: EventBus,
    private readonly retryAfterSeconds: number,
  ) {}

  /** True once the broker acknowledged (acks=-1); false, logged with its code, otherwise. */
  async publish(record: EncodedRecord): Promise<boolean> {
    try {
      await this.bus.publish([record]);
      return true;
    } catch (error) {
      const code = (error as { code?: unknown }).code ?? 'UNKNOWN';
      this.logger.warn('EDGE_PUBLISH_FAILED', 'publishing to the bus failed', {
        topic: record.topic,
        reason: code,
        // The message only: during an outage every request fails the same way, a stack each is noise.
        error: String(error),
      });
      return false;
    }
  }

  /** protocol.md §2: storage or broker unavailable -> 503 with Retry-After (RFC 3261 §21.5.4). */
  unavailable(request: SipRequest, reason = 'Service Unavailable'): SipResponse {
    return serviceUnavailable(request, reason, this.retryAfterSeconds);
  }
}
