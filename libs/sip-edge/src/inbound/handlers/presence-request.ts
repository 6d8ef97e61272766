import { SipResponse } from '#herald/sip';
import { FlowBinding } from '../../flows/flow-registry';
import { PRESENCE_EVENT_PACKAGE } from '../../outbound/notify-request';
import { responseTo } from '../../sip/responses';
import { CommandIntake } from '../command-intake';
import { InboundRequest } from '../inbound-request';

/**
 * What PUBLISH and SUBSCRIBE check first: a registered flow, then `Event: presence`. Another event
 * package gets 489 with Allow-Events: RFC 3903 §6 step 2 (PUBLISH), RFC 6665 §4.2.1 (SUBSCRIBE).
 */
export function identifyPresenceRequest(
  intake: CommandIntake,
  inbound: InboundRequest,
): FlowBinding | SipResponse {
  const binding = intake.identify(inbound);
  if (binding instanceof SipResponse) return binding;
  const { request } = inbound;
  if (request.event?.value.toLowerCase() !== PRESENCE_EVENT_PACKAGE) {
    return responseTo(request, 489, undefined, [['Allow-Events', PRESENCE_EVENT_PACKAGE]]);
  }
  return binding;
}
