// The chaos test's invariants, each returning its violations with the messages involved, so a
// failing run prints what went wrong and not only that something did.
import type { Envelope, SipClient } from '../support/sip-client';
import { deliveryReport, presenceMismatches, type SentIm } from '../scale-out/scale-out-checks';
import type { SimulatedUser } from '../scale-out/simulated-user';

/** An IM of the chaos load, with when (performance.now()) its im.send was first sent. */
export interface TimedIm extends SentIm {
  sentAt: number;
}

/** Seconds from `since` (the load's start, performance.now()) to `time`, to the millisecond. */
function secondsFrom(since: number, time: number): number {
  return Math.round(time - since) / 1000;
}

/** One thing that happened to a violation's messages, `at` seconds from the load's start. */
export interface ViolationEvent {
  /** Undefined for what has no time on the test's clock (what the database holds). */
  at?: number;
  event: string;
}

/**
 * A broken invariant, complete enough to be read from the soak's JSON report alone: the ids of
 * everything involved and the sequence of events that broke the rule, in time order.
 */
export interface Violation {
  invariant: string;
  /** Users, devices, command ids, messageIds and push ids involved. */
  ids: Record<string, string | string[]>;
  detail: string;
  events: ViolationEvent[];
}

function inTimeOrder(events: ViolationEvent[]): ViolationEvent[] {
  return events.sort((a, b) => (a.at ?? Number.POSITIVE_INFINITY) - (b.at ?? Number.POSITIVE_INFINITY));
}

/** A device's logins and the refreshes that may have re-bound it, as events. */
function deviceEvents(user: SimulatedUser, device: SipClient, since: number): ViolationEvent[] {
  return [
    ...(user.logins.get(device) ?? []).map((time) => ({
      at: secondsFrom(since, time),
      event: `${device.contactUri} got its ok login.result`,
    })),
    ...(user.rebinds.get(device) ?? []).map((time) => ({
      at: secondsFrom(since, time),
      event: `${device.contactUri}'s binding may have lapsed from here (a later refresh was answered past its expiry)`,
    })),
  ];
}

/** What became of the recipient's devices, to tell the story of an IM that never arrived. */
function devicesStory(user: SimulatedUser, since: number): string {
  return user.devices
    .map((device) => {
      const ims = device.pushes.filter((push) => push.envelope?.type === 'im').length;
      const state = device.closed ? 'gone' : 'open';
      const logins = (user.logins.get(device) ?? []).map((time) => `${secondsFrom(since, time)} s`);
      return `${device.contactUri} (logged in ${logins.join(', ') || 'never'}, ${ims} IMs, ${state})`;
    })
    .join('; ');
}

/** A command that got 200 OK, and the device that sent it. */
export interface AcceptedCommand {
  user: SimulatedUser;
  device: SipClient | undefined;
  envelope: Envelope & { id: string };
  /** When its 200 OK came (performance.now()). */
  acceptedAt: number;
}

/** A text/plain MESSAGE one of the user's devices received (an IM for a plain SIP device). */
interface PlainTextArrival {
  user: SimulatedUser;
  device: SipClient;
  text: string;
  arrivedAt: number;
  /**
   * The device had an ok login.result before this arrived, and no refresh since that may have
   * re-bound it (a lapsed binding makes it a plain SIP device again: protocol.md §5, §7).
   */
  afterLogin: boolean;
}

/** Whether `device` was logged in at `time`: a login before it, and no new binding in between. */
function loggedInAt(user: SimulatedUser, device: SipClient, time: number): boolean {
  const lastLogin = Math.max(...(user.logins.get(device) ?? []).filter((login) => login < time));
  return (
    lastLogin !== Number.NEGATIVE_INFINITY &&
    !(user.rebinds.get(device) ?? []).some((rebind) => rebind > lastLogin && rebind < time)
  );
}

/**
 * Whether `device` may have been logged out after the login in effect at `time`: a lapse of its
 * binding the client noticed later (a refresh answered, or a command refused 401, past its
 * earliest expiry), until its next login.
 */
export function mayHaveLapsedSince(user: SimulatedUser, device: SipClient, time: number): boolean {
  const lastLogin = Math.max(...(user.logins.get(device) ?? []).filter((login) => login < time));
  return (user.rebinds.get(device) ?? []).some((rebind) => rebind > lastLogin);
}

function plainTextArrivals(users: readonly SimulatedUser[]): PlainTextArrival[] {
  return users.flatMap((user) =>
    user.devices.flatMap((device) =>
      device.pushes
        .filter((push) => push.request.contentType?.mediaType === 'text/plain')
        .map((push) => ({
          user,
          device,
          text: push.request.bodyText,
          arrivedAt: push.arrivals[0]!,
          afterLogin: loggedInAt(user, device, push.arrivals[0]!),
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

/** The pushes of the IM with `text` that `user`'s devices received, JSON or text/plain, as events. */
function arrivalEvents(user: SimulatedUser, text: string, since: number): ViolationEvent[] {
  return user.devices.flatMap((device) =>
    device.pushes.flatMap((push) => {
      const plain = push.request.contentType?.mediaType === 'text/plain';
      if ((plain ? push.request.bodyText : push.envelope?.['text']) !== text) return [];
      const form = plain ? 'text/plain MESSAGE' : `im push ${String(push.envelope?.['messageId'])}`;
      return [{ at: secondsFrom(since, push.arrivals[0]!), event: `${form} reached ${device.contactUri}` }];
    }),
  );
}

/** The IM's send and the result its sender got, as events. */
function sendEvents(im: TimedIm, since: number): ViolationEvent[] {
  const result = im.from
    .pushesOf('im.send.result')
    .filter((push) => push.envelope['re'] === im.commandId)
    .map((push) => ({
      at: secondsFrom(since, push.arrivedAt),
      event: `${im.from.name} got im.send.result ${JSON.stringify(push.envelope)}`,
    }));
  return [
    {
      at: secondsFrom(since, im.sentAt),
      event: `${im.from.name} sent im.send ${im.commandId} to ${im.to.name}`,
    },
    ...result,
  ];
}

function imIds(im: TimedIm): Violation['ids'] {
  const messageId = resultOf(im)?.['messageId'];
  return {
    command: im.commandId,
    from: im.from.name,
    to: im.to.name,
    ...(typeof messageId === 'string' ? { messageId } : {}),
  };
}

/**
 * Every accepted IM reached its recipient under exactly one messageId (possibly stored first)
 * (missingIms), but those in `notLost` (see chaos.soak.ts: the sender gone without a result, and
 * the database holds no trace of the IM or a result that refused it); a device logged in (and not
 * re-bound since) gets JSON. `trails` tells what the database holds of an IM that never arrived.
 */
export function imViolations(
  users: readonly SimulatedUser[],
  sent: readonly TimedIm[],
  since: number,
  notLost: ReadonlySet<TimedIm> = new Set(),
  trails: ReadonlyMap<TimedIm, string> = new Map(),
): Violation[] {
  const report = deliveryReport(users, sent);
  const byText = new Map(sent.map((im) => [im.text, im]));
  const missing = missingIms(users, sent)
    .filter((im) => !notLost.has(im))
    .map((im): Violation => ({
      invariant: 'accepted IM delivered',
      ids: imIds(im),
      detail:
        `${im.commandId} ${im.from.name} -> ${im.to.name}: "${im.text}" never reached a device of ` +
        `${im.to.name}; its devices: ${devicesStory(im.to, since)}`,
      events: [
        ...inTimeOrder([
          ...sendEvents(im, since),
          ...im.to.devices.flatMap((device) => deviceEvents(im.to, device, since)),
        ]),
        ...(trails.has(im) ? [{ event: `in the database: ${trails.get(im)!}` }] : []),
      ],
    }));
  const severalIds = report.underSeveralIds.map((dup): Violation => {
    const im = byText.get(dup.text);
    const recipient = users.find((user) => user.name === dup.recipient);
    return {
      invariant: 'one messageId per IM',
      ids: { ...(im === undefined ? { to: dup.recipient } : imIds(im)), messageIds: dup.messageIds },
      detail: `${dup.recipient} got "${dup.text}" under ${dup.messageIds.join(', ')}`,
      events: inTimeOrder([
        ...(im === undefined ? [] : sendEvents(im, since)),
        ...(recipient === undefined ? [] : arrivalEvents(recipient, dup.text, since)),
      ]),
    };
  });
  const plainAfterLogin = plainTextArrivals(users)
    .filter((arrival) => arrival.afterLogin)
    .map((arrival): Violation => {
      const im = byText.get(arrival.text);
      return {
        invariant: 'logged-in JSON clients get JSON',
        ids: {
          ...(im === undefined ? { to: arrival.user.name } : imIds(im)),
          device: arrival.device.contactUri,
        },
        detail:
          `text/plain MESSAGE to ${arrival.user.name}'s device ${arrival.device.contactUri} at ` +
          `${secondsFrom(since, arrival.arrivedAt)} s, logged in and not re-bound since: ${arrival.text}`,
        events: inTimeOrder([
          ...(im === undefined ? [] : sendEvents(im, since)),
          ...deviceEvents(arrival.user, arrival.device, since),
          ...arrivalEvents(arrival.user, arrival.text, since),
        ]),
      };
    });
  return [...missing, ...severalIds, ...plainAfterLogin];
}

/**
 * Every IM, JSON or text/plain, reached devices of its recipient only: a push that went to another
 * user's device (a flow of the recipient's now carrying that device) is a leak, and the device's
 * 200 OK makes Herald take the IM for delivered.
 */
export function misdeliveryViolations(
  users: readonly SimulatedUser[],
  sent: readonly TimedIm[],
  since: number,
): Violation[] {
  const byText = new Map(sent.map((im) => [im.text, im]));
  return users.flatMap((user) =>
    user.devices.flatMap((device) =>
      device.pushes.flatMap((push): Violation[] => {
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
            ids: { ...imIds(im), reached: user.name, device: device.contactUri },
            detail: `${im.commandId} for ${im.to.name}: "${im.text}" reached a device of ${user.name}`,
            events: inTimeOrder([
              ...sendEvents(im, since),
              ...deviceEvents(user, device, since),
              {
                at: secondsFrom(since, push.arrivals[0]!),
                event: `reached ${user.name}'s ${device.contactUri}`,
              },
            ]),
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
 * outcome), and a command from a device still connected at the end has one, but those in
 * `answeredWhileLapsed` (ids): their result is stored, and their device's binding lapsed after
 * they were accepted, so no registration could carry it (protocol.md §1: pushes go over a
 * registered flow); re-sending the id gets it (§3).
 */
export function resultViolations(
  commands: readonly AcceptedCommand[],
  since: number,
  answeredWhileLapsed: ReadonlySet<string> = new Set(),
): Violation[] {
  return commands.flatMap(({ user, device, envelope, acceptedAt }) => {
    const results = user
      .pushesOf(`${envelope.type}.result`)
      .filter((push) => push.envelope['re'] === envelope.id);
    const pushIds = new Set(results.map((result) => String(result.envelope['id'])));
    const outcomes = new Set(
      results.map((result) => JSON.stringify({ ok: result.envelope['ok'], error: result.envelope['error'] })),
    );
    const ids = { user: user.name, command: envelope.id, type: envelope.type, pushIds: [...pushIds] };
    const events = inTimeOrder([
      { at: secondsFrom(since, acceptedAt), event: `${envelope.type} ${envelope.id} got 200 OK` },
      ...results.map((result) => ({
        at: secondsFrom(since, result.arrivedAt),
        event: `result ${JSON.stringify(result.envelope)}`,
      })),
      ...(device === undefined ? [] : deviceEvents(user, device, since)),
    ]);
    const violations: Violation[] = [];
    if (pushIds.size > 1 || outcomes.size > 1) {
      violations.push({
        invariant: 'exactly one result per command',
        ids,
        detail: `${user.name} ${envelope.type} ${envelope.id}: ${JSON.stringify(results.map((r) => r.envelope))}`,
        events,
      });
    }
    const stillConnected = device !== undefined && device === user.currentDevice && !device.closed;
    if (results.length === 0 && stillConnected && !answeredWhileLapsed.has(envelope.id)) {
      violations.push({
        invariant: 'exactly one result per command',
        ids,
        detail: `${user.name} ${envelope.type} ${envelope.id}: no result on its still connected device`,
        events,
      });
    }
    return violations;
  });
}

/** What each watcher last saw of each buddy is the buddy's final status. */
export function presenceViolations(
  buddies: ReadonlyArray<readonly [SimulatedUser, SimulatedUser]>,
  since: number,
): Violation[] {
  const byName = new Map(buddies.flat().map((user) => [user.name, user]));
  return presenceMismatches(buddies).map((mismatch) => {
    const watcher = byName.get(mismatch.watcher)!;
    const buddy = byName.get(mismatch.buddy)!;
    // The watcher's last few pushes about the buddy: what it saw, when, stamped with which `at`.
    const seen = watcher
      .pushesOf('presence')
      .filter((push) => push.envelope['uri'] === buddy.aor)
      .sort((a, b) => a.arrivedAt - b.arrivedAt)
      .slice(-5)
      .map((push) => ({
        at: secondsFrom(since, push.arrivedAt),
        event: `${watcher.name} got presence ${String(push.envelope['status'])} (at ${String(push.envelope['at'])})`,
      }));
    return {
      invariant: 'presence converges',
      ids: { watcher: watcher.name, buddy: buddy.name },
      detail: `${mismatch.watcher} sees ${mismatch.buddy} as ${mismatch.seen ?? 'nothing'}, truth ${mismatch.expected}`,
      events: inTimeOrder(seen),
    };
  });
}

/** No process is left dead (each killed one came back and stayed up). */
export function processViolations(dead: readonly string[]): Violation[] {
  return dead.map((name) => ({
    invariant: 'no process left down',
    ids: { process: name },
    detail: `${name} is not running`,
    events: [],
  }));
}

/** Every process's resident memory is within `boundMiB` once the faults stop. */
export function memoryViolations(residentMiB: ReadonlyMap<string, number>, boundMiB: number): Violation[] {
  return [...residentMiB]
    .filter(([, mib]) => mib > boundMiB)
    .map(([name, mib]) => ({
      invariant: 'memory bounded',
      ids: { process: name },
      detail: `${name} resident ${mib.toFixed(0)} MiB > ${boundMiB} MiB`,
      events: [],
    }));
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations
    .map((violation) =>
      [
        `VIOLATION [${violation.invariant}] ${violation.detail}`,
        ...violation.events.map(
          ({ at, event }) => `  ${at === undefined ? '' : `${at.toFixed(3)} s `}${event}`,
        ),
      ].join('\n'),
    )
    .join('\n');
}
