import { type Device, resultPushId } from '../push';
import { deliveryPushId, statusPushId } from './im-pushes';
import { derivedMessageId } from './message';

/** A device: only its AOR and id go into the ids. */
function device(aor: string, deviceId: string): Device {
  return { aor, deviceId, edgeId: 'edge-0', flowId: 'flow-0', contact: `${aor};x=1`, carrier: 'INFO' };
}

describe('ids derived from what identifies a message', () => {
  // Stored (message_deliveries.push_id, messages.message_id) and compared across releases: a
  // command or outcome redelivered to the next release must get the same ids. These are the
  // values of session 10's release, which hashed through createHash.
  it('are the same in every release', () => {
    const message = { senderAor: 'sip:alice@example.com', messageId: 'm-1' };
    const aliceDesk = device('sip:alice@example.com', 'alice-desk');
    expect(deliveryPushId(message, device('sip:bob@example.com', 'bob-phone'))).toBe(
      'im-vBalHvoXmJXQvmyJels7bWx08e_HRFPK0Ept6yOcwss',
    );
    expect(statusPushId(message, 'delivered', aliceDesk)).toBe(
      'status-0ds6UzP6ggiYQH1zn-raHcqt0bBlECx9p1H9hxWYcTw',
    );
    expect(derivedMessageId('sip:alice@example.com', 'c-7')).toBe('h-AnYisYYdAwhV_1oMOAQYOraxLEXEw7PN');
    expect(resultPushId(aliceDesk, 'c-7')).toBe('result-MfoIqv2fcTvMlZdEy1g9VwxLJCTqZS90dPQtQx9r7kg');
  });
});
