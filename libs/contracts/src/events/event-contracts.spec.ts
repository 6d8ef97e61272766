import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractError } from '../contract-error';
import {
  EDGE_OUTBOUND_V1_PATTERN,
  edgeOutboundRecord,
  edgeOutboundTopic,
  edgeOutboundV1,
  isOutcomeWanted,
  PushRequestedV1Schema,
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

  describe('outcomeWanted (added to push.requested v1 as an optional field)', () => {
    const fixtureJson = (name: string) =>
      readFileSync(join(__dirname, '..', '..', 'fixtures', 'edge.outbound.v1', name), 'utf8');
    const outboundFixture = (name: string) => edgeOutboundV1.decode(fixtureJson(name));

    it('a push of an earlier release (no flag) still gets its outcome reported', () => {
      const push = outboundFixture('push-requested.json');
      expect(push).not.toHaveProperty('outcomeWanted');
      expect(push.type === 'push.requested' && isOutcomeWanted(push)).toBe(true);
    });

    it('a push with outcomeWanted false gets none', () => {
      const push = outboundFixture('push-no-outcome.json');
      expect(push.type === 'push.requested' && isOutcomeWanted(push)).toBe(false);
    });

    it('a NOTIFY always gets its outcome reported', () => {
      const notify = outboundFixture('notify-requested.json');
      expect(notify.type === 'notify.requested' && isOutcomeWanted(notify)).toBe(true);
    });

    it('an edge of the earlier release reads a push with the flag as before (the field is ignored)', () => {
      const earlierPushSchema = PushRequestedV1Schema.omit({ outcomeWanted: true });
      const json = JSON.parse(fixtureJson('push-no-outcome.json')) as Record<string, unknown>;
      const withoutFlag = Object.fromEntries(
        Object.entries(json).filter(([field]) => field !== 'outcomeWanted'),
      );
      expect(earlierPushSchema.parse(json)).toEqual(withoutFlag);
    });
  });

  it('rejects a register.decided status outside the allowed set', () => {
    expect(() =>
      registerDecidedV1.build({ txKey: 'tx', aor: 'sip:a@b', status: 404 as 200, contacts: [] }, AT),
    ).toThrow(expect.objectContaining({ code: 'CONTRACT_INVALID_PAYLOAD' }));
  });
});
