import { ConfigError } from './read-settings';
import { loadSipEdgeSettings } from './sip-edge-settings';

describe('loadSipEdgeSettings', () => {
  it('has RFC 3261 defaults and no retransmission limit', () => {
    expect(loadSipEdgeSettings({})).toEqual({
      t1Ms: 500,
      t2Ms: 4000,
      registerTimeoutMs: 5000,
      publishTimeoutMs: 5000,
      subscribeTimeoutMs: 5000,
      rateBurst: 50,
      ratePerSecond: 20,
      retryAfterSeconds: 5,
      udpReceiveBufferBytes: 4_194_304,
      digestAlgorithms: ['SHA-256', 'MD5'],
      throttleEnabled: true,
      throttleWindowSeconds: 60,
      sourceMaxRequests: 6000,
      sourceMaxAuthFailures: 30,
      sourceBanSeconds: 600,
      accountFreeFailures: 3,
      accountBackoffMaxSeconds: 300,
      throttleMaxEntries: 100_000,
      edgeLinkPort: 5090,
      edgeLinkHost: '0.0.0.0',
    });
  });

  it.each([
    ['MD5,SHA-256', ['MD5', 'SHA-256']],
    [' MD5 ', ['MD5']],
    ['SHA-256', ['SHA-256']],
    ['SHA-256, MD5', ['SHA-256', 'MD5']],
  ])('reads HERALD_DIGEST_ALGORITHMS=%j in its order', (value, algorithms) => {
    expect(loadSipEdgeSettings({ HERALD_DIGEST_ALGORITHMS: value }).digestAlgorithms).toEqual(algorithms);
  });

  it.each([
    ['SHA-1', 'names the unknown algorithm "SHA-1"'],
    ['md5', 'names the unknown algorithm "md5"'],
    ['MD5,MD5', 'names an algorithm twice'],
    [',', 'has an empty entry'],
    ['MD5,', 'has an empty entry'],
  ])('refuses HERALD_DIGEST_ALGORITHMS=%j at start', (value, problem) => {
    expect(() => loadSipEdgeSettings({ HERALD_DIGEST_ALGORITHMS: value })).toThrow(ConfigError);
    expect(() => loadSipEdgeSettings({ HERALD_DIGEST_ALGORITHMS: value })).toThrow(
      `HERALD_DIGEST_ALGORITHMS: "${value}" ${problem}: expected a comma-separated list of SHA-256, MD5, each at most once`,
    );
  });

  it('reads the variables', () => {
    const settings = loadSipEdgeSettings({
      HERALD_SIP_T1_MS: '40',
      HERALD_SIP_MAX_RETRANSMISSIONS: '3',
      HERALD_SIP_RATE_PER_SECOND: '0.5',
      HERALD_SIP_UDP_RECEIVE_BUFFER_BYTES: '8388608',
      HERALD_SIP_TLS_CERT: '/c.pem',
      HERALD_SIP_TLS_KEY: '/k.pem',
      HERALD_AOR_HASH_KEY: 'per-deployment',
    });
    expect(settings).toMatchObject({
      aorHashKey: 'per-deployment',
      t1Ms: 40,
      maxRetransmissions: 3,
      ratePerSecond: 0.5,
      udpReceiveBufferBytes: 8_388_608,
      tlsCertFile: '/c.pem',
    });
  });

  it('reports every bad variable at once', () => {
    let error: unknown;
    try {
      loadSipEdgeSettings({
        HERALD_SIP_T1_MS: 'soon',
        HERALD_SIP_RATE_BURST: '0',
        HERALD_SIP_TLS_KEY: '/k.pem',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([
      'HERALD_SIP_T1_MS',
      'HERALD_SIP_RATE_BURST',
      'HERALD_SIP_TLS_CERT',
    ]);
  });

  it('reads the throttle settings', () => {
    expect(
      loadSipEdgeSettings({
        HERALD_SIP_THROTTLE_ENABLED: 'false',
        HERALD_SIP_THROTTLE_WINDOW_SECONDS: '10',
        HERALD_SIP_SOURCE_MAX_REQUESTS: '100',
        HERALD_SIP_SOURCE_MAX_AUTH_FAILURES: '5',
        HERALD_SIP_SOURCE_BAN_SECONDS: '2',
        HERALD_SIP_ACCOUNT_FREE_FAILURES: '0',
        HERALD_SIP_ACCOUNT_BACKOFF_MAX_SECONDS: '8',
        HERALD_SIP_THROTTLE_MAX_ENTRIES: '5000',
      }),
    ).toMatchObject({
      throttleEnabled: false,
      throttleWindowSeconds: 10,
      sourceMaxRequests: 100,
      sourceMaxAuthFailures: 5,
      sourceBanSeconds: 2,
      accountFreeFailures: 0,
      accountBackoffMaxSeconds: 8,
      throttleMaxEntries: 5000,
    });
  });

  it('refuses bad throttle settings, each named', () => {
    let error: unknown;
    try {
      loadSipEdgeSettings({
        HERALD_SIP_THROTTLE_ENABLED: 'yes',
        HERALD_SIP_THROTTLE_WINDOW_SECONDS: '0',
        HERALD_SIP_SOURCE_MAX_REQUESTS: '-1',
        HERALD_SIP_SOURCE_BAN_SECONDS: '1.5',
        HERALD_SIP_ACCOUNT_BACKOFF_MAX_SECONDS: 'long',
        HERALD_SIP_THROTTLE_MAX_ENTRIES: '10',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([
      'HERALD_SIP_THROTTLE_ENABLED',
      'HERALD_SIP_THROTTLE_WINDOW_SECONDS',
      'HERALD_SIP_SOURCE_MAX_REQUESTS',
      'HERALD_SIP_SOURCE_BAN_SECONDS',
      'HERALD_SIP_ACCOUNT_BACKOFF_MAX_SECONDS',
      'HERALD_SIP_THROTTLE_MAX_ENTRIES',
    ]);
  });

  it('refuses free account failures that the source ban would never let happen', () => {
    expect(() =>
      loadSipEdgeSettings({
        HERALD_SIP_ACCOUNT_FREE_FAILURES: '5',
        HERALD_SIP_SOURCE_MAX_AUTH_FAILURES: '5',
      }),
    ).toThrow(/HERALD_SIP_ACCOUNT_FREE_FAILURES: must be below HERALD_SIP_SOURCE_MAX_AUTH_FAILURES/);
  });
});
