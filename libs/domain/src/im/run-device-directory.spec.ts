import { unhandledRejectionsDuring } from '../../testing/unhandled-rejections';
import type { Device, DeviceDirectory } from '../push';
import { RunDeviceDirectory } from './run-device-directory';

const desk: Device = {
  aor: 'sip:bob@d',
  deviceId: 'desk',
  edgeId: 'edge-0',
  flowId: 'udp:5060:127.0.0.1:40000',
  contact: 'sip:bob@127.0.0.1:40000',
  carrier: 'INFO',
};

/** A directory whose every lookup fails (PostgreSQL restarting), counting its calls. */
function failingDirectory(error: Error): DeviceDirectory & { calls: number } {
  const directory = {
    calls: 0,
    loggedInDevices: () => {
      directory.calls += 1;
      return Promise.reject(error);
    },
    device: () => {
      directory.calls += 1;
      return Promise.reject(error);
    },
  };
  return directory;
}

describe('RunDeviceDirectory', () => {
  it('looks each AOR up once per group and answers devices looked up ahead from that lookup', async () => {
    const lookups: string[][] = [];
    const inner: DeviceDirectory = {
      loggedInDevices: async (aors) => {
        lookups.push([...aors]);
        return new Map(aors.map((aor) => [aor, aor === desk.aor ? [desk] : []]));
      },
      device: async () => undefined,
    };
    const directory = new RunDeviceDirectory(inner);
    await directory.lookUpDevices([{ aor: desk.aor, deviceId: 'desk' }]);
    expect(await directory.device(desk.aor, 'desk')).toEqual(desk);
    expect((await directory.loggedInDevices([desk.aor, 'sip:carol@d'])).get(desk.aor)).toEqual([desk]);
    expect(await directory.loggedInDevices([desk.aor])).toEqual(new Map([[desk.aor, [desk]]]));
    // With plain devices (an IM's lookup) the AOR is looked up again; without, the lookup ahead served.
    expect(await directory.loggedInDevices([desk.aor], { includePlainSip: true })).toEqual(
      new Map([[desk.aor, [desk]]]),
    );
    expect(lookups).toEqual([[desk.aor], ['sip:carol@d'], [desk.aor]]);
  });

  it('answers an AOR’s logged-in devices from its devices looked up ahead, without its plain ones', async () => {
    const phone: Device = { ...desk, deviceId: 'phone', carrier: 'PLAIN' };
    let lookups = 0;
    const inner: DeviceDirectory = {
      loggedInDevices: async (aors, options) => {
        lookups += 1;
        expect(options).toEqual({ includePlainSip: true });
        return new Map(aors.map((aor) => [aor, [desk, phone]]));
      },
      device: async () => undefined,
    };
    const directory = new RunDeviceDirectory(inner);
    await directory.lookUpDevices([{ aor: desk.aor, deviceId: 'desk' }]);

    expect(await directory.loggedInDevices([desk.aor], { plainSipLoginGraceMs: 5_000 })).toEqual(
      new Map([[desk.aor, [desk]]]),
    );
    expect(lookups).toBe(1);
  });

  it('fails the lookups of a failed query, leaving no unhandled rejection behind (it would kill the process)', async () => {
    const lost = new Error('Connection terminated unexpectedly');
    const inner = failingDirectory(lost);
    const directory = new RunDeviceDirectory(inner);
    const unhandled = await unhandledRejectionsDuring(async () => {
      await expect(
        directory.lookUpDevices([
          { aor: desk.aor, deviceId: 'desk' },
          { aor: desk.aor, deviceId: 'phone' },
        ]),
      ).rejects.toBe(lost);
      await expect(directory.loggedInDevices([desk.aor, 'sip:carol@d'])).rejects.toBe(lost);
      // A device looked up ahead answers from that failed lookup, without a query of its own.
      await expect(directory.device(desk.aor, 'phone')).rejects.toBe(lost);
    });
    expect(unhandled).toEqual([]);
    expect(inner.calls).toBe(2);
  });
});
