import { randomBytes } from 'node:crypto';
import { DIGEST_ALGORITHMS } from '#herald/sip';
import { FakeEventBus } from '../testing/fake-event-bus';
import { type SipEdgeConfig } from './edge-config';
import { sipEdgeProbe } from './edge-readiness';
import { SipEdge } from './sip-edge';

function loopbackConfig(): SipEdgeConfig {
  return {
    domain: 'herald.local',
    edgeId: `edge-${randomBytes(4).toString('hex')}`,
    bindHost: '127.0.0.1',
    ports: { udp: 0 },
    nonceSecret: 'readiness-unit-secret',
    digestAlgorithms: DIGEST_ALGORITHMS,
    minExpires: 60,
    defaultExpires: 3600,
    maxBodyBytes: 8192,
    timers: { t1Ms: 50, t2Ms: 400, t4Ms: 400 },
    decisionTimeoutsMs: { register: 1_000, publish: 1_000, subscribe: 1_000 },
    rateLimit: { burst: 10, perSecond: 10 },
    retryAfterSeconds: 5,
  };
}

describe('sipEdgeProbe', () => {
  it('is not ready before the edge listens, ready while it does, and not ready from the start of its drain', async () => {
    const edge = new SipEdge({ bus: new FakeEventBus(), config: loopbackConfig(), drainTimeoutMs: 1_000 });
    const probe = sipEdgeProbe(edge);
    await expect(probe.check()).rejects.toMatchObject({ code: 'EDGE_NOT_LISTENING' });

    await edge.start();
    await expect(probe.check()).resolves.toBeUndefined();

    const stopped = edge.stop();
    // Draining, not yet closed: the transports still listen but readiness already fails.
    expect(edge.listening).toBe(true);
    await expect(probe.check()).rejects.toMatchObject({ code: 'EDGE_DRAINING' });
    await stopped;
    await expect(probe.check()).rejects.toMatchObject({ code: 'EDGE_DRAINING' });
  });
});
