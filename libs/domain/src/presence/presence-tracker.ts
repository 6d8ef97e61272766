import { statusChangedV1 } from '#herald/contracts';
import type { PushGateway } from '../push';
import type { EventPublisher, Transaction } from '../shared';
import type { PresenceRepository, RosterRepository } from './ports';
import type { AggregatePresence, DeviceEvent } from './presence-model';
import { presencePushOf } from './presence-pushes';
import { aggregateOf, nextDeviceState, sameShownPresence } from './presence-rules';
import { SimpleNotifier } from './subscriptions/simple-notifier';
import type { SimpleSubscribers } from './subscriptions/subscription-model';

export interface PresenceTrackerDependencies {
  presence: PresenceRepository;
  rosters: RosterRepository;
  pushes: PushGateway;
  bus: EventPublisher;
  /** SIMPLE subscribers (protocol.md §7): when given, every announced change is also NOTIFYed. */
  simple?: SimpleSubscribers;
}

/** Keeps per-device status and the aggregate of each user, and announces aggregate changes. */
export class PresenceTracker {
  private readonly simple: SimpleNotifier | undefined;

  constructor(private readonly deps: PresenceTrackerDependencies) {
    this.simple =
      deps.simple === undefined ? undefined : new SimpleNotifier({ ...deps.simple, bus: deps.bus });
  }

  /**
   * Applies one device event inside `tx`. When the aggregate changes it is saved, pushed to every
   * logged-in device of every watcher (one watcher query, one publish) and published as
   * presence.status-changed. Publishing happens before the transaction commits: if the broker
   * fails the whole event is retried, rather than a committed change never being announced.
   * Returns the new aggregate, or undefined when it did not change. Its `at` is never before the
   * previous aggregate's: events come on several topics, so one stamped earlier may be read after
   * a later one, and a watcher orders presence pushes by `at` (a redelivered push can come late).
   */
  async changeDevice(
    tx: Transaction,
    aor: string,
    event: DeviceEvent,
  ): Promise<AggregatePresence | undefined> {
    const { presence } = this.deps;
    const previous = await presence.lockAggregate(tx, aor);
    const devices = await presence.devicesOf(tx, aor);
    const current = devices.find((d) => d.deviceId === event.deviceId);
    const next = nextDeviceState(current, event);
    if (next === undefined || next === current) {
      return undefined;
    }
    await presence.saveDevice(tx, aor, next);
    const others = devices.filter((d) => d.deviceId !== event.deviceId);
    const shown = aggregateOf([...others, next]);
    if (sameShownPresence(previous, shown)) {
      return undefined;
    }
    const aggregate: AggregatePresence = { ...shown, at: laterThan(previous.at, event.at) };
    await presence.saveAggregate(tx, aor, aggregate);
    await this.announce(tx, aor, aggregate);
    return aggregate;
  }

  private async announce(tx: Transaction, aor: string, aggregate: AggregatePresence): Promise<void> {
    // With SIMPLE subscriptions, the same statement that finds the watchers takes the NOTIFYs' CSeqs.
    const { watchers, notifies } =
      this.deps.simple === undefined
        ? { watchers: await this.deps.rosters.watchersOf(tx, aor), notifies: [] }
        : await this.deps.simple.subscriptions.watchersAndNotifiesOf(tx, aor);
    if (watchers.length > 0) {
      await this.deps.pushes.send([
        {
          origin: 'presence',
          target: { kind: 'aors', aors: watchers },
          push: presencePushOf(aor, aggregate),
        },
      ]);
    }
    await this.simple?.announce(notifies, aggregate);
    const event = statusChangedV1.build(
      { aor, status: aggregate.status, ...(aggregate.note === undefined ? {} : { note: aggregate.note }) },
      aggregate.at,
    );
    await this.deps.bus.publish([statusChangedV1.record(event)]);
  }
}

/** `at`, or just after `previous` when `at` is not later: the aggregate's times only increase. */
function laterThan(previous: Date, at: Date): Date {
  return at.getTime() > previous.getTime() ? at : new Date(previous.getTime() + 1);
}
