// libs/client on its own user agent against the separate apps on a real Kafka and PostgreSQL: the
// scenario of node-transports.test.ts over UDP and TCP, through the edge, auth, presence and im-router.
import { HeraldCluster } from '../support/herald-cluster';
import { rosterPresenceAndIm, SdkDevices, type SdkProtocol } from './sdk-scenarios';

const START_TIMEOUT_MS = 300_000;

describe('libs/client on its own user agent against the apps on Kafka and PostgreSQL', () => {
  jest.setTimeout(120_000);
  let cluster: HeraldCluster | undefined;
  const devices = new SdkDevices(() => {
    if (cluster === undefined) throw new Error('the apps did not start');
    return cluster;
  });

  beforeAll(async () => {
    cluster = await HeraldCluster.start();
  }, START_TIMEOUT_MS);
  afterEach(() => devices.close());
  afterAll(() => cluster?.stop());

  it.each<SdkProtocol>(['udp', 'tcp'])(
    'over %s: registers, logs in, keeps a roster, sees presence and exchanges IMs both ways',
    (protocol) => rosterPresenceAndIm(devices, protocol),
  );
});
