import { edgeOutboundTopic } from './events/edge-outbound.v1';
import { isLiveTopic } from './live-topics';
import { TOPICS } from './topics';

describe('isLiveTopic', () => {
  it('is true for deadline-bound requests and every edge outbound topic', () => {
    expect(isLiveTopic('sip.register-requested.v1')).toBe(true);
    expect(isLiveTopic('sip.publish-requested.v1')).toBe(true);
    expect(isLiveTopic('sip.subscribe-requested.v1')).toBe(true);
    expect(isLiveTopic(edgeOutboundTopic('herald-edge-0'))).toBe(true);
    // A fully qualified host name, HERALD_EDGE_ID's default on some hosts.
    expect(isLiveTopic(edgeOutboundTopic('edge-0.pods.example.net'))).toBe(true);
  });

  it('is false for what a 200 OK promised (commands, outcomes) and for every event of the services', () => {
    const live = TOPICS.map((description) => description.topic).filter(
      (topic) => !topic.includes('{') && isLiveTopic(topic),
    );
    expect(live.sort()).toEqual([
      'sip.publish-requested.v1',
      'sip.register-requested.v1',
      'sip.subscribe-requested.v1',
    ]);
    expect(isLiveTopic('edge.herald-edge-0.outbound.v2')).toBe(false);
  });
});
