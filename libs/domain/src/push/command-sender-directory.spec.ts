import type { CommandReceivedV1 } from '#herald/contracts';
import { CommandSenderDirectory } from './command-sender-directory';
import type { Device, DeviceDirectory } from './device-directory';

const AOR = 'sip:alice@herald.example';
const command = (carrier: CommandReceivedV1['carrier']): CommandReceivedV1 => ({
  v: 1,
  type: 'sip.command-received',
  at: '2026-01-02T03:04:05.678Z',
  edgeId: 'edge-0',
  flowId: 'udp:5060:127.0.0.1:5070',
  deviceId: 'd-1',
  contact: 'sip:alice@127.0.0.1:5070',
  aor: AOR,
  carrier,
  callId: 'c-1@127.0.0.1',
  receivedAt: '2026-01-02T03:04:05.678Z',
  envelope: { v: 1, id: 'c-1', type: 'roster.get' },
});

/** A directory holding one device of alice, counting its lookups. */
function directoryWith(device: Device | undefined) {
  const lookups: string[] = [];
  const directory: DeviceDirectory = {
    loggedInDevices: async () => new Map(),
    device: async (aor, deviceId) => {
      lookups.push(deviceId);
      return device !== undefined && aor === device.aor && deviceId === device.deviceId ? device : undefined;
    },
  };
  return { directory, lookups };
}
const registered = (carrier: Device['carrier']): Device => ({
  aor: AOR,
  deviceId: 'd-1',
  edgeId: 'edge-1',
  flowId: 'tcp:7',
  contact: 'sip:alice@127.0.0.1:5071',
  carrier,
});

describe('CommandSenderDirectory', () => {
  it('as-sent: answers for the sender as its command came, without a lookup', async () => {
    const { directory, lookups } = directoryWith(registered('MESSAGE'));
    const senders = new CommandSenderDirectory(directory, command('INFO'), 'as-sent');
    expect(await senders.device(AOR, 'd-1')).toMatchObject({
      flowId: 'udp:5060:127.0.0.1:5070',
      carrier: 'INFO',
    });
    expect(lookups).toEqual([]);
    const plain = new CommandSenderDirectory(directory, command('MESSAGE-PLAIN'), 'as-sent');
    expect(await plain.device(AOR, 'd-1')).toMatchObject({ carrier: 'PLAIN' });
  });

  it('as-registered: a logged-in sender keeps its session, looked up once', async () => {
    const { directory, lookups } = directoryWith(registered('MESSAGE'));
    const senders = new CommandSenderDirectory(directory, command('INFO'));
    expect(await senders.device(AOR, 'd-1')).toEqual(registered('MESSAGE'));
    expect(await senders.registeredSender()).toEqual(registered('MESSAGE'));
    expect(lookups).toEqual(['d-1']);
  });

  it('as-registered: a sender without a session gets its result over its command carrier', async () => {
    for (const known of [registered('PLAIN'), undefined]) {
      const senders = new CommandSenderDirectory(directoryWith(known).directory, command('INFO'));
      expect(await senders.device(AOR, 'd-1')).toMatchObject({
        flowId: 'udp:5060:127.0.0.1:5070',
        carrier: 'INFO',
      });
    }
  });

  it('as-registered: the sender of a text/plain MESSAGE is listed as the directory has it', async () => {
    const senders = new CommandSenderDirectory(
      directoryWith(registered('PLAIN')).directory,
      command('MESSAGE-PLAIN'),
    );
    expect(await senders.device(AOR, 'd-1')).toEqual(registered('PLAIN'));
    expect(await senders.registeredSender()).toBeUndefined();
  });
});
