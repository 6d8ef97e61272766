import { unhandledRejectionsDuring } from '../../testing/unhandled-rejections';
import type { DeviceDirectory } from '../push';
import { PushGateway } from '../push';
import type { EventPublisher } from '../shared';
import { Run, type RecipientCheck } from './run';
import { RunDeviceDirectory } from './run-device-directory';

const NO_DEVICES: DeviceDirectory = {
  loggedInDevices: async (aors) => new Map(aors.map((aor) => [aor, []])),
  device: async () => undefined,
};
const NOTHING_PUBLISHED: EventPublisher = { publish: async () => undefined };

function runWith(checkRecipients: RecipientCheck): Run {
  return new Run(
    new RunDeviceDirectory(NO_DEVICES),
    NOTHING_PUBLISHED,
    (directory, bus) => new PushGateway({ directory, bus }),
    checkRecipients,
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

const refusal = { code: 'not-found' as const, message: 'no such user' };
