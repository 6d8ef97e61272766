import type { VisibleStatus } from '#herald/contracts';
import type { DeviceEvent, DevicePresence } from './presence-model';

/** Higher is more available; statuses not listed (invisible) do not count. */
const AVAILABILITY: Readonly<Record<string, number>> = { online: 3, busy: 2, away: 1 };

/** What one device shows others: plain SIP devices are online, invisible and ended ones nothing. */
function shownStatus(device: DevicePresence): { status: VisibleStatus; note?: string } | undefined {
  const { publication } = device;
  if (publication !== undefined) {
    // protocol.md §7: a published `open` is online (its note kept), `closed` offline.
    return publication.basic === 'open' ? { status: 'online', note: publication.note } : undefined;
  }
  switch (device.mode) {
    case 'plain':
      return { status: 'online' };
    case 'ended':
      return undefined;
    case 'session':
      return device.status === 'invisible' ? undefined : { status: device.status, note: device.note };
  }
}

/**
 * The most available status over the devices (online > busy > away), with that device's note;
 * between equally available devices the most recently changed one wins. No counted device:
 * offline (protocol.md §5).
 */
export function aggregateOf(devices: readonly DevicePresence[]): { status: VisibleStatus; note?: string } {
  let best: { status: VisibleStatus; note?: string; rank: number; changedAt: number } | undefined;
  for (const device of devices) {
    const shown = shownStatus(device);
    if (shown === undefined) continue;
    const rank = AVAILABILITY[shown.status] ?? 0;
    const changedAt = device.changedAt.getTime();
    if (best === undefined || rank > best.rank || (rank === best.rank && changedAt > best.changedAt)) {
      best = { ...shown, rank, changedAt };
    }
  }
  if (best === undefined) return { status: 'offline' };
  return best.note === undefined ? { status: best.status } : { status: best.status, note: best.note };
}

/**
 * The device's state after `event`; `undefined` only while presence has never known it. Events
 * arrive on several topics, so one older than the device's last change is stale and ignored.
 */
export function nextDeviceState(
  current: DevicePresence | undefined,
  event: DeviceEvent,
): DevicePresence | undefined {
  if (current !== undefined && event.at.getTime() < current.changedAt.getTime()) {
    return current;
  }
  const { deviceId, at: changedAt } = event;
  switch (event.kind) {
    case 'registered':
      // A refresh keeps what the device is; a new binding after a logout is a plain device again.
      if (current === undefined || (event.created && current.mode === 'ended')) {
        return { deviceId, mode: 'plain', changedAt };
      }
      return current;
    case 'status':
      return event.note === undefined
        ? { deviceId, mode: 'session', status: event.status, changedAt }
        : { deviceId, mode: 'session', status: event.status, note: event.note, changedAt };
    case 'session-ended':
      return current === undefined ? undefined : { deviceId, mode: 'ended', changedAt };
    case 'unregistered':
      // Kept as ended (it shows nothing), not forgotten: the device-registered of a binding decided
      // before a kick or a removal comes on another topic, possibly later, and must be stale then
      // rather than bring the device back (EndedDeviceRetention forgets the row after a day).
      return { deviceId, mode: 'ended', changedAt };
    case 'published':
      // A PUBLISH may be read before the registration event of its device (another topic).
      return { ...(current ?? { deviceId, mode: 'plain' }), changedAt, publication: event.publication };
    case 'unpublished':
      return current?.publication?.etag === event.etag ? withoutPublication(current, changedAt) : current;
  }
}

export function sameShownPresence(
  a: { status: VisibleStatus; note?: string },
  b: { status: VisibleStatus; note?: string },
): boolean {
  return a.status === b.status && (a.note ?? undefined) === (b.note ?? undefined);
}

/** The device as its mode shows it, its publication gone (RFC 3903 §6: removal or expiry reverts). */
function withoutPublication(device: DevicePresence, changedAt: Date): DevicePresence {
  const reverted = { ...device, changedAt };
  delete reverted.publication;
  return reverted;
}
