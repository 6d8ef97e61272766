// What the scale-out test asserts, computed from what each user's devices received.
import type { DeviceStatus } from '#herald/contracts';
import type { SimulatedUser } from './simulated-user';

/** One im.send of the load, whether or not it was accepted. */
export interface SentIm {
  commandId: string;
  from: SimulatedUser;
  to: SimulatedUser;
  text: string;
  /** Its im.send got 200 OK (possibly after re-sending the same command id). */
  accepted: boolean;
}

export interface DeliveryReport {
  /** Accepted IMs whose text reached no device of the recipient. */
  missing: SentIm[];
  /** IMs that reached one recipient under more than one messageId (never allowed). */
  underSeveralIds: { recipient: string; text: string; messageIds: string[] }[];
  /** Extra arrivals of an already received messageId per recipient (allowed: redelivery). */
  duplicatesById: { recipient: string; messageId: string; arrivals: number }[];
  /** Distinct IMs the recipients' applications got. */
  delivered: number;
}

function imKey(from: string, text: string): string {
  return `${from}\n${text}`;
}

/** Dedupes each recipient's `im` pushes by messageId, as a client application does. */
export function deliveryReport(users: readonly SimulatedUser[], sent: readonly SentIm[]): DeliveryReport {
  const report: DeliveryReport = { missing: [], underSeveralIds: [], duplicatesById: [], delivered: 0 };
  const receivedBy = new Map<SimulatedUser, Map<string, Set<string>>>();
  for (const user of users) {
    const arrivalsById = new Map<string, number>();
    const idsByIm = new Map<string, Set<string>>();
    for (const { envelope } of user.pushesOf('im')) {
      const messageId = String(envelope['messageId']);
      arrivalsById.set(messageId, (arrivalsById.get(messageId) ?? 0) + 1);
      const key = imKey(String(envelope['from']), String(envelope['text']));
      idsByIm.set(key, (idsByIm.get(key) ?? new Set<string>()).add(messageId));
    }
    for (const [messageId, arrivals] of arrivalsById) {
      if (arrivals > 1) report.duplicatesById.push({ recipient: user.name, messageId, arrivals });
    }
    for (const [key, messageIds] of idsByIm) {
      if (messageIds.size > 1) {
        report.underSeveralIds.push({
          recipient: user.name,
          text: key.split('\n')[1]!,
          messageIds: [...messageIds],
        });
      }
    }
    report.delivered += idsByIm.size;
    receivedBy.set(user, idsByIm);
  }
  report.missing = sent.filter(
    (im) => im.accepted && receivedBy.get(im.to)?.has(imKey(im.from.aor, im.text)) !== true,
  );
  return report;
}

/**
 * Texts that reached a user's device as a text/plain MESSAGE: every simulated user is a JSON
 * client, so each one is an IM Herald took for delivered while the application never saw it.
 */
export function plainTextArrivals(users: readonly SimulatedUser[]): string[] {
  return users.flatMap((user) =>
    user.devices.flatMap((device) =>
      device.pushes
        .filter((push) => push.request.contentType?.mediaType === 'text/plain')
        .map((push) => `${user.name}: ${push.request.bodyText}`),
    ),
  );
}

/** What watchers see of a device status (protocol.md §5: invisible shows as offline). */
export function shownStatus(status: DeviceStatus): string {
  return status === 'invisible' ? 'offline' : status;
}

/**
 * The watcher's latest view of `buddy`: the `presence` push with the latest `at` (the time of
 * the change; later arrival breaks ties), over every device the watcher had.
 */
export function lastSeenStatus(watcher: SimulatedUser, buddy: SimulatedUser): string | undefined {
  let latest: { at: number; arrivedAt: number; status: string } | undefined;
  for (const { envelope, arrivedAt } of watcher.pushesOf('presence')) {
    if (envelope['uri'] !== buddy.aor) continue;
    const at = Date.parse(String(envelope['at']));
    if (latest === undefined || at > latest.at || (at === latest.at && arrivedAt > latest.arrivedAt)) {
      latest = { at, arrivedAt, status: String(envelope['status']) };
    }
  }
  return latest?.status;
}

/** Every (watcher, buddy) whose last seen status is not the buddy's final one. */
export function presenceMismatches(
  buddies: ReadonlyArray<readonly [SimulatedUser, SimulatedUser]>,
): { watcher: string; buddy: string; seen: string | undefined; expected: string }[] {
  return buddies.flatMap(([a, b]) =>
    [
      [a, b],
      [b, a],
    ].flatMap(([watcher, buddy]) => {
      const seen = lastSeenStatus(watcher!, buddy!);
      const expected = shownStatus(buddy!.status);
      return seen === expected ? [] : [{ watcher: watcher!.name, buddy: buddy!.name, seen, expected }];
    }),
  );
}
