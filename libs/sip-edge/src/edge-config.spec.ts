import { loadSipEdgeSettings } from '#herald/config';
import { sipEdgeConfigFrom } from './edge-config';

const SHARED = {
  domain: 'herald.test',
  edgeId: 'edge-test',
  sipBind: '127.0.0.1',
  sipUdpPort: 0,
  sipTcpPort: 0,
  sipTlsPort: 0,
  sipWsPort: 0,
  sipWssPort: 0,
  nonceSecret: 'nonce-secret-for-tests',
  minExpires: 60,
  maxBodyBytes: 8192,
  adminToken: undefined,
};

function decisionTimeoutMs(t1Ms: number, registerTimeoutMs: number): number {
  const edge = loadSipEdgeSettings({
    HERALD_SIP_T1_MS: String(t1Ms),
    HERALD_SIP_REGISTER_TIMEOUT_MS: String(registerTimeoutMs),
  });
  return sipEdgeConfigFrom(SHARED, edge).decisionTimeoutsMs.register;
}

describe('sipEdgeConfigFrom: decision timeouts', () => {
  it('reads one timeout per kind of request, each capped the same way', () => {
    const edge = loadSipEdgeSettings({
      HERALD_SIP_T1_MS: '50',
      HERALD_SIP_REGISTER_TIMEOUT_MS: '1000',
      HERALD_SIP_PUBLISH_TIMEOUT_MS: '2000',
      HERALD_SIP_SUBSCRIBE_TIMEOUT_MS: '9000',
    });
    expect(sipEdgeConfigFrom(SHARED, edge).decisionTimeoutsMs).toEqual({
      register: 1000,
      publish: 2000,
      subscribe: 3150,
    });
    expect(sipEdgeConfigFrom(SHARED, loadSipEdgeSettings({})).decisionTimeoutsMs).toEqual({
      register: 5000,
      publish: 5000,
      subscribe: 5000,
    });
  });

  it('keeps a decision timeout below the server transaction life (64*T1)', () => {
    expect(decisionTimeoutMs(500, 5000)).toBe(5000);
    expect(decisionTimeoutMs(50, 2500)).toBe(2500);
  });

  it('caps a decision timeout at or above 64*T1 one T1 short of it, so the 503 leaves in time', () => {
    // T1 = 50 ms: the transaction forgets an unanswered REGISTER after 3.2 s.
    expect(decisionTimeoutMs(50, 5000)).toBe(3150);
    expect(decisionTimeoutMs(50, 3200)).toBe(3150);
  });
});

describe('sipEdgeConfigFrom: UDP receive buffer', () => {
  it('asks for HERALD_SIP_UDP_RECEIVE_BUFFER_BYTES, 4 MiB by default', () => {
    expect(sipEdgeConfigFrom(SHARED, loadSipEdgeSettings({})).udpReceiveBufferBytes).toBe(4 * 1024 * 1024);
    const edge = loadSipEdgeSettings({ HERALD_SIP_UDP_RECEIVE_BUFFER_BYTES: '1048576' });
    expect(sipEdgeConfigFrom(SHARED, edge).udpReceiveBufferBytes).toBe(1024 * 1024);
  });
});

describe('sipEdgeConfigFrom: AOR hash key', () => {
  it('passes HERALD_AOR_HASH_KEY on to the push spans, and none when unset', () => {
    const edge = loadSipEdgeSettings({ HERALD_AOR_HASH_KEY: 'per-deployment' });
    expect(sipEdgeConfigFrom(SHARED, edge).aorHashKey).toBe('per-deployment');
    expect(sipEdgeConfigFrom(SHARED, loadSipEdgeSettings({}))).not.toHaveProperty('aorHashKey');
  });
});

describe('sipEdgeConfigFrom: throttle', () => {
  it('turns the throttle settings into limits in milliseconds', () => {
    expect(sipEdgeConfigFrom(SHARED, loadSipEdgeSettings({})).throttle).toEqual({
      windowMs: 60_000,
      sourceMaxRequests: 6000,
      sourceMaxAuthFailures: 30,
      banMs: 600_000,
      accountFreeFailures: 3,
      accountBackoffMaxMs: 300_000,
      maxEntries: 100_000,
    });
  });

  it('leaves the throttle out when it is off', () => {
    const edge = loadSipEdgeSettings({ HERALD_SIP_THROTTLE_ENABLED: 'false' });
    expect(sipEdgeConfigFrom(SHARED, edge).throttle).toBeUndefined();
  });
});
