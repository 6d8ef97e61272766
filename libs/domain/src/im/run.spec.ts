import { unhandledRejectionsDuring } from '../../testing/unhandled-rejections';
import type { Device, DeviceDirectory } from '../push';
import { PushGateway } from '../push';
import type { EventPublisher } from '../shared';
import { Run, type RecipientCheck, type SendersAndRecipientsCheck } from './run';
import { RunDeviceDirectory } from './run-device-directory';

const NO_DEVICES: DeviceDirectory = {
  loggedInDevices: async (aors) => new Map(aors.map((aor) => [aor, []])),
  device: async () => undefined,
};
const NOTHING_PUBLISHED: EventPublisher = { publish: async () => undefined };

function runWith(
  checkRecipients: RecipientCheck,
  checkSendersAndRecipients: SendersAndRecipientsCheck = () =>
    Promise.reject(new Error('no combined lookup expected')),
): Run {
  return new Run(
    new RunDeviceDirectory(NO_DEVICES),
    NOTHING_PUBLISHED,
    (directory, bus) => new PushGateway({ directory, bus }),
    checkRecipients,
    checkSendersAndRecipients,
  );
}

describe('Run recipient checks', () => {
  it('checks each recipient once per group, in one lookup', async () => {
    const lookups: string[][] = [];
    const run = runWith(async (aors) => {
      lookups.push([...aors]);
      return new Map(aors.map((aor) => [aor, aor.startsWith('sip:gone') ? refusal : undefined]));
    });
    await run.checkAll(['sip:bob@d', 'sip:gone@d', 'sip:bob@d']);
    expect(await run.refusal('sip:bob@d')).toBeUndefined();
    expect(await run.refusal('sip:gone@d')).toEqual(refusal);
    expect(lookups).toEqual([['sip:bob@d', 'sip:gone@d']]);
  });

  it('fails the group when the lookup fails, leaving no unhandled rejection behind (it would kill the process)', async () => {
    const lost = new Error('Connection terminated unexpectedly');
    const run = runWith(() => Promise.reject(lost));
    const unhandled = await unhandledRejectionsDuring(async () => {
      await expect(run.checkAll(['sip:bob@d', 'sip:carol@d'])).rejects.toBe(lost);
      await expect(run.refusal('sip:carol@d')).rejects.toBe(lost);
    });
    expect(unhandled).toEqual([]);
  });
});

describe('Run lookups of a group of im.send', () => {
  const alice = { aor: 'sip:alice@d', deviceId: 'alice-desk' };
  const aliceDesk: Device = {
    ...alice,
    edgeId: 'edge-0',
    flowId: 'udp:1',
    contact: 'sip:alice@127.0.0.1',
    carrier: 'INFO',
  };

  it('looks the senders up and checks the recipients in ONE lookup when both are needed', async () => {
    const combined: Array<[readonly string[], readonly string[]]> = [];
    const run = runWith(
      () => Promise.reject(new Error('no recipient lookup of its own expected')),
      async (senderAors, recipientAors) => {
        combined.push([senderAors, recipientAors]);
        return {
          devices: new Map([[alice.aor, [aliceDesk]]]),
          refusals: new Map(
            recipientAors.map((aor) => [aor, aor.startsWith('sip:gone') ? refusal : undefined]),
          ),
        };
      },
    );

    await run.lookUpSendsAhead([alice, alice], ['sip:bob@d', 'sip:gone@d', 'sip:bob@d']);

    expect(combined).toEqual([[[alice.aor], ['sip:bob@d', 'sip:gone@d']]]);
    expect(await run.directory.device(alice.aor, alice.deviceId)).toEqual(aliceDesk);
    expect(await run.refusal('sip:bob@d')).toBeUndefined();
    expect(await run.refusal('sip:gone@d')).toEqual(refusal);
  });

  it('uses the lookup of its own for what alone is still needed', async () => {
    const lookups: string[][] = [];
    const run = runWith(async (aors) => {
      lookups.push([...aors]);
      return new Map(aors.map((aor) => [aor, undefined]));
    });
    await run.checkAll(['sip:bob@d']);

    // The recipient is checked: the senders alone are looked up (the directory's own lookup).
    await run.lookUpSendsAhead([alice], ['sip:bob@d']);
    await run.lookUpSendsAhead([], ['sip:carol@d']);

    expect(lookups).toEqual([['sip:bob@d'], ['sip:carol@d']]);
    expect(await run.directory.device(alice.aor, alice.deviceId)).toBeUndefined();
  });

  it('fails the group when the one lookup fails, leaving no unhandled rejection behind', async () => {
    const lost = new Error('Connection terminated unexpectedly');
    const run = runWith(
      () => Promise.reject(new Error('no recipient lookup of its own expected')),
      () => Promise.reject(lost),
    );
    const unhandled = await unhandledRejectionsDuring(async () => {
      await expect(run.lookUpSendsAhead([alice], ['sip:bob@d'])).rejects.toBe(lost);
      await expect(run.refusal('sip:bob@d')).rejects.toBe(lost);
      await expect(run.directory.device(alice.aor, alice.deviceId)).rejects.toBe(lost);
    });
    expect(unhandled).toEqual([]);
  });
});

const refusal = { code: 'not-found' as const, message: 'no such user' };
