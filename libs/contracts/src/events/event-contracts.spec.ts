import { ContractError } from '../contract-error';
import {
  EDGE_OUTBOUND_V1_PATTERN,
  edgeOutboundRecord,
  edgeOutboundTopic,
  edgeOutboundV1,
  pushRequestedV1,
  registerDecidedV1,
} from './edge-outbound.v1';
import { messageAcceptedV1 } from './im-message-accepted.v1';
import { statusChangedV1 } from './presence-status-changed.v1';

const AT = new Date('2026-01-02T03:04:05.678Z');

describe('event contracts', () => {
  it('build stamps v, type and at', () => {
    const event = statusChangedV1.build({ aor: 'sip:alice@herald.example', status: 'away' }, AT);
    expect(event).toEqual({
      v: 1,
      type: 'presence.status-changed',
      at: '2026-01-02T03:04:05.678Z',
      aor: 'sip:alice@herald.example',
      status: 'away',
    });
  });

  it('build validates, so a producer cannot emit what consumers reject', () => {
    expect(() =>
      statusChangedV1.build({ aor: 'sip:alice@herald.example', status: 'invisible' as 'offline' }, AT),
    ).toThrow(ContractError);
  });

  it('record() puts the event on its topic keyed by its key', () => {
    const event = messageAcceptedV1.build(
      {
        messageId: 'm-1',
        from: 'sip:alice@herald.example',
        to: 'sip:bob@herald.example',
        text: 'hi',
        sentAt: AT.toISOString(),
      },
      AT,
    );
    const record = messageAcceptedV1.record(event);
    expect(record.topic).toBe('im.message-accepted.v1');
    expect(record.key).toBe('sip:bob@herald.example');
    expect(messageAcceptedV1.decode(record.value)).toEqual(event);
  });

  it('names each edge its own outbound topic', () => {
    expect(edgeOutboundTopic('edge-7')).toBe('edge.edge-7.outbound.v1');
    expect(EDGE_OUTBOUND_V1_PATTERN.replace('{edgeId}', 'edge-7')).toBe(edgeOutboundTopic('edge-7'));
  });

  it('encodes both outbound event types into one union decoded by type', () => {
    const decided = registerDecidedV1.build(
      { txKey: 'tx', aor: 'sip:alice@herald.example', status: 401, contacts: [] },
      AT,
    );
    const push = pushRequestedV1.build(
      {
        pushId: 'p-1',
        origin: 'auth',
        aor: 'sip:alice@herald.example',
        deviceId: 'd',
        flowId: 'udp:5060:127.0.0.1:5070',
        contact: 'sip:alice@127.0.0.1:5070',
        method: 'INFO',
        contentType: 'application/vnd.herald+json',
        body: '{}',
      },
      AT,
    );
    for (const event of [decided, push]) {
      const record = edgeOutboundRecord('edge-0', event);
      expect(record.topic).toBe('edge.edge-0.outbound.v1');
      expect(record.key).toBe('sip:alice@herald.example');
      expect(edgeOutboundV1.decode(record.value)).toEqual(event);
    }
  });

  it('rejects a register.decided status outside the allowed set', () => {
    expect(() =>
      registerDecidedV1.build({ txKey: 'tx', aor: 'sip:a@b', status: 404 as 200, contacts: [] }, AT),
    ).toThrow(expect.objectContaining({ code: 'CONTRACT_INVALID_PAYLOAD' }));
  });
});
