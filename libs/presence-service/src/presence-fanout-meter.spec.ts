import {
  commandReceivedV1,
  edgeOutboundRecord,
  ENVELOPE_CONTENT_TYPE,
  presencePush,
  pushRequestedV1,
  rosterPush,
  routedCommandRecordV1,
  type PushBody,
} from '#herald/contracts';
import { presenceFanoutSize } from './presence-fanout-meter';

function pushTo(deviceId: string, body: PushBody) {
  return edgeOutboundRecord(
    'edge-1',
    pushRequestedV1.build({
      pushId: `p-${deviceId}`,
      origin: 'presence',
      aor: 'sip:bob@herald.test',
      deviceId,
      flowId: `flow-${deviceId}`,
      contact: `sip:bob@127.0.0.1:${deviceId.length + 5000}`,
      method: 'INFO',
      contentType: ENVELOPE_CONTENT_TYPE,
      body: JSON.stringify(body),
    }),
  );
}

const alicePresence = presencePush({
  uri: 'sip:alice@herald.test',
  status: 'online',
  at: '2026-01-01T00:00:00.000Z',
});

describe('presenceFanoutSize', () => {
  it('counts the devices of a publish made only of presence pushes', () => {
    expect(presenceFanoutSize([pushTo('d1', alicePresence), pushTo('d2', alicePresence)])).toBe(2);
  });

  it('ignores a login snapshot (it starts with the roster), empty publishes and other topics', () => {
    expect(presenceFanoutSize([pushTo('d1', rosterPush([])), pushTo('d1', alicePresence)])).toBeUndefined();
    expect(presenceFanoutSize([])).toBeUndefined();
    const command = routedCommandRecordV1(
      commandReceivedV1.build({
        edgeId: 'edge-1',
        flowId: 'f',
        deviceId: 'd',
        contact: 'sip:alice@127.0.0.1:5070',
        aor: 'sip:alice@herald.test',
        carrier: 'INFO',
        callId: 'c',
        receivedAt: '2026-01-01T00:00:00.000Z',
        envelope: { v: 1, id: 'x', type: 'logout' },
      }),
    );
    expect(presenceFanoutSize([command])).toBeUndefined();
  });
});
