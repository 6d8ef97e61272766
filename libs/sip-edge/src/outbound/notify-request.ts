import { NotifyRequestedV1 } from '#herald/contracts';
import { Flow, formatAddress, SipRequest } from '#herald/sip';
import { INITIAL_MAX_FORWARDS, originatingVia } from './push-request';

/** RFC 3856 §4: the event package Herald notifies. */
export const PRESENCE_EVENT_PACKAGE = 'presence';

/** The Contact the edge gives in a subscription dialog: this flow's local address (RFC 6665 §4.2.1.1). */
export function edgeContactOf(flow: Flow): string {
  return `<sip:${formatAddress(flow.local)};transport=${flow.protocol}>`;
}

/**
 * A NOTIFY inside a subscription dialog (RFC 6665 §4.2.2, RFC 3261 §12.2.1.1): Request-URI the
 * subscriber's Contact, Route the dialog's route set, From the presentity with Herald's tag, To the
 * subscriber with its tag, the dialog's Call-ID and Herald's CSeq, Event and Subscription-State.
 */
export function buildNotifyRequest(notify: NotifyRequestedV1, flow: Flow): SipRequest {
  const { dialog } = notify;
  const headers: [string, string][] = [
    ['Max-Forwards', String(INITIAL_MAX_FORWARDS)],
    ...dialog.routeSet.map((route): [string, string] => ['Route', route]),
    ['From', `<${notify.target}>;tag=${dialog.notifierTag}`],
    ['To', `<${notify.aor}>;tag=${dialog.subscriberTag}`],
    ['Call-ID', dialog.callId],
    ['CSeq', `${notify.cseq} NOTIFY`],
    ['Contact', edgeContactOf(flow)],
    [
      'Event',
      dialog.eventId === undefined
        ? PRESENCE_EVENT_PACKAGE
        : `${PRESENCE_EVENT_PACKAGE};id=${dialog.eventId}`,
    ],
    ['Subscription-State', notify.subscriptionState],
    ['Content-Type', notify.contentType],
  ];
  const request = new SipRequest({ method: 'NOTIFY', uri: dialog.contact, headers, body: notify.body });
  request.originateVia(originatingVia(flow));
  return request;
}
