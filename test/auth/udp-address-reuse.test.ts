// Issue 14: a UDP device that goes away without unregistering keeps its binding on its edge; when
// a NAT then gives its public address and port to another user's device, which registers through
// the other edge, the first device's pushes must not reach the second (they would, over the first
// edge's flow). Two edges and two replicas of every service on real Kafka and PostgreSQL; each
// device sends through a UDP relay whose upstream port plays the NAT's public port.
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeraldScaledCluster } from '../support/herald-scaled-cluster';
import { UdpRelay } from '../support/udp-relay';
import { waitFor } from '../support/wait-for';
import type { SipClient } from '../support/sip-client';
import { commandResult, Devices, expectStatus, pushOf } from '../e2e/e2e-support';

const CLUSTER_START_TIMEOUT_MS = 300_000;
const SCENARIO_TIMEOUT_MS = 120_000;
const ANSWER_WAIT_MS = 10_000;
/** 503s a REGISTER may get while the replicas' consumer groups still settle after the start. */
const REGISTER_ATTEMPTS = 10;

/** REGISTERs until answered otherwise than 503, waiting Retry-After between (protocol.md §2). */
async function registered(device: SipClient): Promise<SipClient> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await device.register();
    if (response.status !== 503 || attempt === REGISTER_ATTEMPTS) {
      expectStatus(response, 200);
      return device;
    }
    const retryAfterSeconds = Number(response.headers.get('retry-after') ?? '1');
    await new Promise((resolve) => setTimeout(resolve, retryAfterSeconds * 1000));
  }
}

/** A UDP port of 127.0.0.1 that nothing is bound to now. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('a UDP address and port reused by another device on another edge', () => {
  let cluster: HeraldScaledCluster | undefined;
  const relays: UdpRelay[] = [];
  const started = (): HeraldScaledCluster => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return cluster;
  };
  const onEdge0 = new Devices(() => started().side(0));
  const onEdge1 = new Devices(() => started().side(1));

  beforeAll(async () => {
    cluster = await HeraldScaledCluster.start();
  }, CLUSTER_START_TIMEOUT_MS);
  afterAll(async () => {
    try {
      await Promise.all([onEdge0.closeAll(), onEdge1.closeAll()]);
      await Promise.all(relays.map((relay) => relay.stop()));
    } finally {
      if (cluster !== undefined) {
        await cluster.stop();
        const directory = join(tmpdir(), `herald-udp-address-reuse-${Date.now()}`);
        console.log(
          `udp-address-reuse: process logs in ${cluster.writeLogs(directory).length} files under ${directory}`,
        );
      }
    }
  });

  /** A logged-in UDP device of `user` whose datagrams reach `side`'s edge from 127.0.0.1:`natPort`. */
  async function behindNat(
    devices: Devices,
    side: 0 | 1,
    user: string,
    natPort: number,
  ): Promise<{ device: SipClient; nat: UdpRelay }> {
    const nat = await UdpRelay.start(started().side(side).address('udp'), { upstreamPort: natPort });
    relays.push(nat);
    const device = await registered(
      await devices.device(user, 'udp', { server: { address: '127.0.0.1', port: nat.port } }),
    );
    const login = await commandResult(device, { type: 'login', status: 'online' }, 'INFO');
    expect(login.envelope).toMatchObject({ ok: true, user: device.aor });
    // The login's last push, and the device's answer to it past the NAT: nothing is in flight.
    const roster = await device.waitForPush('roster');
    const callId = roster.request.headers.get('call-id');
    await waitFor(
      () =>
        nat.seen(
          'to-herald',
          (message) => message.kind === 'response' && message.headers.get('call-id') === callId,
        ).length > 0,
      ANSWER_WAIT_MS,
      'the answer to the roster push to pass the NAT',
    );
    return { device, nat };
  }

  it(
    "stores the first user's IMs instead of pushing them to the device that now holds the address",
    async () => {
      const natPort = await freeUdpPort();
      const alice = await onEdge0.account('alice');
      const bob = await onEdge1.account('bob');
      const sender = await registered(await onEdge0.device(await onEdge0.account('carol'), 'tcp'));
      const senderLogin = await commandResult(sender, { type: 'login', status: 'online' }, 'INFO');
      expect(senderLogin.envelope).toMatchObject({ ok: true });

      const gone = await behindNat(onEdge0, 0, alice, natPort);
      // The NAT drops alice's mapping: her device is unreachable and never unregistered.
      await gone.nat.stop();
      relays.splice(relays.indexOf(gone.nat), 1);
      const { device: bobDevice, nat: bobNat } = await behindNat(onEdge1, 1, bob, natPort);

      const from = sender.pushes.length;
      const sent = await commandResult(
        sender,
        { type: 'im.send', to: gone.device.aor, text: 'for alice' },
        'INFO',
      );
      const messageId = sent.envelope?.['messageId'];
      expect(sent.envelope).toMatchObject({ ok: true, messageId: expect.any(String) });
      await pushOf(sender, 'im.status', { messageId, state: 'stored' }, from);
      expect(bobDevice.envelopesOf('im')).toEqual([]);
      expect(
        bobNat.seen('to-client', (message) => message.headers.get('to')?.includes(alice) === true),
      ).toEqual([]);

      // Stored, not lost: alice's next login (another address) gets it, marked offline.
      const back = await behindNat(onEdge0, 0, alice, await freeUdpPort());
      const im = await pushOf(back.device, 'im', { messageId });
      expect(im.envelope).toMatchObject({ text: 'for alice', offline: true });
      expect(bobDevice.envelopesOf('im')).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
