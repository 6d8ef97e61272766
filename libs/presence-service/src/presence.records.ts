import { ContractRecordHandler, type RecordLogger, route, sharedTopicRoute } from '#herald/bus';
import {
  type CommandReceivedV1,
  commandReceivedByOwnerV1,
  commandReceivedV1,
  deviceRegisteredV1,
  deviceUnregisteredV1,
  isCommandFor,
  publishRequestedV1,
  type PushOutcomeV1,
  pushOutcomeByOriginV1,
  pushOutcomeV1,
  sessionEndedV1,
  sessionStartedV1,
  subscribeRequestedV1,
} from '#herald/contracts';
import type { PresencePublications, PresenceService, SubscriptionService } from '#herald/domain';

export class UnexpectedTopicError extends Error {
  readonly code = 'PRESENCE_UNEXPECTED_TOPIC';
}

/** The domain entry points the records are handed to. */
export type PresenceEventHandlers = Pick<
  PresenceService,
  'handleCommand' | 'sessionStarted' | 'sessionEnded' | 'deviceRegistered' | 'deviceUnregistered'
> &
  Pick<PresencePublications, 'publish'> &
  Pick<SubscriptionService, 'subscribe' | 'notifyOutcome'>;

/** The entry points of the two domain services presence runs, as one set of handlers. */
export function presenceEventHandlers(
  presence: PresenceService,
  publications: PresencePublications,
  subscriptions: SubscriptionService,
): PresenceEventHandlers {
  return {
    handleCommand: (event) => presence.handleCommand(event),
    sessionStarted: (event) => presence.sessionStarted(event),
    sessionEnded: (event) => presence.sessionEnded(event),
    deviceRegistered: (event) => presence.deviceRegistered(event),
    deviceUnregistered: (event) => presence.deviceUnregistered(event),
    publish: (event) => publications.publish(event),
    subscribe: (event) => subscriptions.subscribe(event),
    notifyOutcome: (event) => subscriptions.notifyOutcome(event),
  };
}

const handleCommand = (presence: PresenceEventHandlers, event: CommandReceivedV1) =>
  presence.handleCommand(event);
const notifyOutcome = (presence: PresenceEventHandlers, event: PushOutcomeV1) =>
  presence.notifyOutcome(event);

const PRESENCE_ROUTES = [
  route(commandReceivedByOwnerV1.presence, handleCommand),
  route(sessionStartedV1, (presence: PresenceEventHandlers, event) => presence.sessionStarted(event)),
  route(sessionEndedV1, (presence: PresenceEventHandlers, event) => presence.sessionEnded(event)),
  route(deviceRegisteredV1, (presence: PresenceEventHandlers, event) => presence.deviceRegistered(event)),
  route(deviceUnregisteredV1, (presence: PresenceEventHandlers, event) => presence.deviceUnregistered(event)),
  route(publishRequestedV1, (presence: PresenceEventHandlers, event) => presence.publish(event)),
  route(subscribeRequestedV1, (presence: PresenceEventHandlers, event) => presence.subscribe(event)),
  route(pushOutcomeByOriginV1.presence, notifyOutcome),
  // Rolling upgrade (docs/deploy.md): edges of the previous release publish every command and
  // outcome on the legacy topics; drop these routes in the next release.
  sharedTopicRoute(commandReceivedV1, (event) => isCommandFor('presence', event), handleCommand),
  sharedTopicRoute(pushOutcomeV1, (event) => event.origin === 'presence', notifyOutcome),
];

/** Topics presence consumes (architecture.md, Topics). */
export const PRESENCE_TOPICS: readonly string[] = PRESENCE_ROUTES.map((r) => r.topic);

/** Presence's records: its commands, PUBLISHes, SUBSCRIBEs, its push outcomes, and the device and session events of auth. */
export class PresenceRecordHandler extends ContractRecordHandler<PresenceEventHandlers> {
  constructor(presence: PresenceEventHandlers, logger: RecordLogger) {
    super({
      service: presence,
      routes: PRESENCE_ROUTES,
      logger,
      meterName: 'herald-presence',
      unexpectedTopic: (topic) => new UnexpectedTopicError(`presence does not consume ${topic}`),
    });
  }
}
