// The chaos test's invariants, each returning its violations with the messages involved, so a
// failing run prints what went wrong and not only that something did.
import type { Envelope, SipClient } from '../support/sip-client';
import { deliveryReport, presenceMismatches, type SentIm } from '../scale-out/scale-out-checks';
import type { SimulatedUser } from '../scale-out/simulated-user';

/** An IM of the chaos load, with when (performance.now()) its im.send was first sent. */
export interface TimedIm extends SentIm {
  sentAt: number;
}

/** What became of the recipient's devices, to tell the story of an IM that never arrived. */
function devicesStory(user: SimulatedUser, since: number): string {
  const at = (time: number | undefined) =>
    time === undefined ? 'never' : `${((time - since) / 1000).toFixed(1)} s`;
  return user.devices
    .map((device) => {
      const ims = device.pushes.filter((push) => push.envelope?.type === 'im').length;
      const state = device.closed ? 'gone' : 'open';
      return `${device.contactUri} (logged in ${at(user.loggedInAt.get(device))}, ${ims} IMs, ${state})`;
    })
    .join('; ');
}

/** A command that got 200 OK, and the device that sent it. */
export interface AcceptedCommand {
  user: SimulatedUser;
  device: SipClient | undefined;
  envelope: Envelope & { id: string };
}

export interface Violation {
  invariant: string;
  detail: string;
}

/** A text/plain MESSAGE one of the user's devices received (an IM for a plain SIP device). */
interface PlainTextArrival {
  user: SimulatedUser;
  text: string;
  /** The device had its ok login.result before this arrived. */
  afterLogin: boolean;
}

function plainTextArrivals(users: readonly SimulatedUser[]): PlainTextArrival[] {
  return users.flatMap((user) =>
    user.devices.flatMap((device) =>
      device.pushes
        .filter((push) => push.request.contentType?.mediaType === 'text/plain')
        .map((push) => ({
          user,
          text: push.request.bodyText,
          afterLogin: push.arrivals[0]! > (user.loggedInAt.get(device) ?? Number.POSITIVE_INFINITY),
        })),
    ),
  );
}

/** The im.send result the IM's sender got, if any reached it. */
export function resultOf(im: SentIm): Envelope | undefined {
  return im.from.pushesOf('im.send.result').find((result) => result.envelope['re'] === im.commandId)
    ?.envelope;
}

/**
 * IMs answered 200 OK and then refused when im-router processed them (their result is an error,
 * e.g. `not-logged-in` when the sender's session ended before a backlog reached its command): the
 * client is told, so they are not accepted IMs.
 */
export function refusedIms(sent: readonly TimedIm[]): TimedIm[] {
  return sent.filter((im) => im.accepted && resultOf(im)?.['ok'] === false);
}

/**
 * Accepted IMs (200 OK, not refused) that reached no device of their recipient, neither as JSON
 * nor as text/plain to a device that had registered but not yet logged in (protocol.md §7 makes
 * that a plain SIP device; the faults delay logins).
 */
export function missingIms(users: readonly SimulatedUser[], sent: readonly TimedIm[]): TimedIm[] {
  const missing = new Set(deliveryReport(users, sent).missing.map((im) => im.commandId));
  const refused = new Set(refusedIms(sent));
  const plain = plainTextArrivals(users);
  return sent.filter(
    (im) =>
      missing.has(im.commandId) &&
      !refused.has(im) &&
      !plain.some((arrival) => arrival.user === im.to && arrival.text === im.text),
  );
}

/**
 * Every accepted IM reached its recipient under exactly one messageId (possibly stored first)
 * (missingIms), but those in `unconfirmed` (see chaos.soak.ts: no result, no trace in the
 * database, the sender gone); a device that had logged in gets JSON.
 */
export function imViolations(
  users: readonly SimulatedUser[],
  sent: readonly TimedIm[],
  loadStart: number,
  unconfirmed: ReadonlySet<TimedIm> = new Set(),
): Violation[] {
  const report = deliveryReport(users, sent);
  const plain = plainTextArrivals(users);
  return [
    ...missingIms(users, sent)
      .filter((im) => !unconfirmed.has(im))
      .map((im) => ({
        invariant: 'accepted IM delivered',
        detail:
          `${im.commandId} ${im.from.name} -> ${im.to.name}: "${im.text}" (sent at ` +
          `${((im.sentAt - loadStart) / 1000).toFixed(1)} s) never reached a device of ${im.to.name}; ` +
          `its devices: ${devicesStory(im.to, loadStart)}; the sender's result: ` +
          JSON.stringify(resultOf(im) ?? null),
      })),
    ...report.underSeveralIds.map((dup) => ({
      invariant: 'one messageId per IM',
      detail: `${dup.recipient} got "${dup.text}" under ${dup.messageIds.join(', ')}`,
    })),
    ...plain
      .filter((arrival) => arrival.afterLogin)
      .map((arrival) => ({
        invariant: 'logged-in JSON clients get JSON',
        detail: `text/plain MESSAGE to ${arrival.user.name}'s logged-in device: ${arrival.text}`,
      })),
  ];
}

/**
 * Every IM, JSON or text/plain, reached devices of its recipient only: a push that went to another
 * user's device (a flow of the recipient's now carrying that device) is a leak, and the device's
 * 200 OK makes Herald take the IM for delivered.
 */
export function misdeliveryViolations(users: readonly SimulatedUser[], sent: readonly SentIm[]): Violation[] {
  const byText = new Map(sent.map((im) => [im.text, im]));
  return users.flatMap((user) =>
    user.devices.flatMap((device) =>
      device.pushes.flatMap((push) => {
        const text =
          push.request.contentType?.mediaType === 'text/plain'
            ? push.request.bodyText
            : push.envelope?.type === 'im'
              ? String(push.envelope['text'])
              : undefined;
        const im = text === undefined ? undefined : byText.get(text);
        if (im === undefined || im.to === user) return [];
        return [
          {
            invariant: 'IMs reach their recipient only',
            detail: `${im.commandId} for ${im.to.name}: "${im.text}" reached a device of ${user.name}`,
          },
        ];
      }),
    ),
  );
}

/** IMs that reached a device not yet logged in as text/plain (protocol.md §7), for the report. */
export function plainTextDeliveries(users: readonly SimulatedUser[]): number {
  return plainTextArrivals(users).filter((arrival) => !arrival.afterLogin).length;
}

/**
 * Every command has at most one result (however often it was pushed, one push id and one
 * outcome), and a command from a device still connected at the end has one.
 */
export function resultViolations(commands: readonly AcceptedCommand[]): Violation[] {
  return commands.flatMap(({ user, device, envelope }) => {
    const results = user
      .pushesOf(`${envelope.type}.result`)
      .filter((push) => push.envelope['re'] === envelope.id)
      .map((push) => push.envelope);
    const pushIds = new Set(results.map((result) => String(result['id'])));
    const outcomes = new Set(
      results.map((result) => JSON.stringify({ ok: result['ok'], error: result['error'] })),
    );
    const violations: Violation[] = [];
    if (pushIds.size > 1 || outcomes.size > 1) {
      violations.push({
        invariant: 'exactly one result per command',
        detail: `${user.name} ${envelope.type} ${envelope.id}: ${JSON.stringify(results)}`,
      });
    }
    const stillConnected = device !== undefined && device === user.currentDevice && !device.closed;
    if (results.length === 0 && stillConnected) {
      violations.push({
        invariant: 'exactly one result per command',
        detail: `${user.name} ${envelope.type} ${envelope.id}: no result on its still connected device`,
      });
    }
    return violations;
  });
}

/** What each watcher last saw of each buddy is the buddy's final status. */
export function presenceViolations(
  buddies: ReadonlyArray<readonly [SimulatedUser, SimulatedUser]>,
): Violation[] {
  return presenceMismatches(buddies).map((mismatch) => ({
    invariant: 'presence converges',
    detail: `${mismatch.watcher} sees ${mismatch.buddy} as ${mismatch.seen ?? 'nothing'}, truth ${mismatch.expected}`,
  }));
}

/** No process is left dead (each killed one came back and stayed up). */
export function processViolations(dead: readonly string[]): Violation[] {
  return dead.map((name) => ({ invariant: 'no process left down', detail: `${name} is not running` }));
}

/** Every process's resident memory is within `boundMiB` once the faults stop. */
export function memoryViolations(residentMiB: ReadonlyMap<string, number>, boundMiB: number): Violation[] {
  return [...residentMiB]
    .filter(([, mib]) => mib > boundMiB)
    .map(([name, mib]) => ({
      invariant: 'memory bounded',
      detail: `${name} resident ${mib.toFixed(0)} MiB > ${boundMiB} MiB`,
    }));
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((violation) => `VIOLATION [${violation.invariant}] ${violation.detail}`).join('\n');
}
