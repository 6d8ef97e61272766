// text/plain MESSAGEs between a softphone and a JSON client (protocol.md §7), asserted the same
// way for every softphone the interop tests drive.
import { commandResult, pushOf } from '../e2e/e2e-support';
import type { SipClient } from '../support/sip-client';
import type { SoftphoneProcess } from '../support/softphone-process';

/** A plain device gets IMs once its login grace passed, on a loaded machine. */
const SOFTPHONE_WAIT_MS = 30_000;

/** The JSON client's im.send reaches the softphone as text/plain From its AOR, answered 200 (delivered). */
export async function expectMessageToSoftphone(json: SipClient, phone: SoftphoneProcess, text: string) {
  const log = phone.log.length;
  const sent = await commandResult(json, { type: 'im.send', to: phone.aor, text }, 'INFO');
  const received = await phone.waitForMessage(
    (message) => message.startsWith('MESSAGE '),
    SOFTPHONE_WAIT_MS,
    log,
  );
  expect(received).toMatch(new RegExp(`\r\nFrom: <${json.aor}>`));
  expect(received).toMatch(/\r\nContent-Type: text\/plain/i);
  expect(received).toContain(`\r\n\r\n${text}`);
  await pushOf(json, 'im.status', { messageId: sent.envelope?.['messageId'], state: 'delivered' });
}

/**
 * What `send` makes the softphone send reaches the JSON client as an `im` push from the
 * softphone's AOR, and Herald answered the softphone's MESSAGE with 200.
 */
export async function expectMessageFromSoftphone(
  json: SipClient,
  phone: SoftphoneProcess,
  text: string,
  send: () => Promise<unknown>,
) {
  const log = phone.log.length;
  const pushes = json.pushes.length;
  await send();
  const im = await pushOf(json, 'im', { from: phone.aor }, pushes);
  expect(im.envelope).toMatchObject({ text, offline: false });
  await phone.waitForMessage(
    (message) => /^SIP\/2\.0 200 /.test(message) && /\r\nCSeq: \d+ MESSAGE\r\n/.test(message),
    SOFTPHONE_WAIT_MS,
    log,
  );
}
