import {
  EDGE_ID_MAX_LENGTH,
  EdgeIdSettingSchema,
  edgeIdOfOutboundTopic,
  edgeOutboundTopic,
} from './edge-outbound.v1';

describe('the edge outbound topic', () => {
  it('gives back the edge id it was named from, dots included', () => {
    for (const edgeId of [
      'herald-edge-0',
      'edge-0.pods.example.net',
      'e',
      'edge_1',
      'x'.repeat(EDGE_ID_MAX_LENGTH),
    ]) {
      expect(edgeIdOfOutboundTopic(edgeOutboundTopic(edgeId))).toBe(edgeId);
    }
  });

  it('gives no edge id for any other topic', () => {
    for (const topic of [
      'edge..outbound.v1',
      'edge.outbound.v1',
      'edge.herald-edge-0.outbound.v2',
      'edges.herald-edge-0.outbound.v1',
      'sip.push-outcome.im-router.v1',
      'edge.herald-edge-0.outbound.v1.dlq',
    ]) {
      expect(edgeIdOfOutboundTopic(topic)).toBeUndefined();
    }
  });

  it('takes as a setting only the ids whose topic Kafka accepts (249 characters, [A-Za-z0-9._-])', () => {
    expect(edgeOutboundTopic('x'.repeat(EDGE_ID_MAX_LENGTH))).toHaveLength(249);
    expect(EdgeIdSettingSchema.safeParse('x'.repeat(EDGE_ID_MAX_LENGTH)).success).toBe(true);
    expect(EdgeIdSettingSchema.safeParse('x'.repeat(EDGE_ID_MAX_LENGTH + 1)).success).toBe(false);
    expect(EdgeIdSettingSchema.safeParse('').success).toBe(false);
    expect(EdgeIdSettingSchema.safeParse('edge 0').success).toBe(false);
    expect(EdgeIdSettingSchema.safeParse('edge-0.pods.example.net').success).toBe(true);
  });
});
