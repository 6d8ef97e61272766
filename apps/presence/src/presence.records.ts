import type { LoggerService } from '@nestjs/common';
import { ContractRecordHandler, route } from '#herald/bus';
import {
  commandReceivedV1,
  deviceRegisteredV1,
  deviceUnregisteredV1,
  sessionEndedV1,
  sessionStartedV1,
} from '#herald/contracts';
import type { PresenceService } from '#herald/domain';

export class UnexpectedTopicError extends Error {
  readonly code = 'PRESENCE_UNEXPECTED_TOPIC';
}

/** The domain entry points the records are handed to. */
export type PresenceEventHandlers = Pick<
  PresenceService,
  'handleCommand' | 'sessionStarted' | 'sessionEnded' | 'deviceRegistered' | 'deviceUnregistered'
>;

const PRESENCE_ROUTES = [
  route(commandReceivedV1, (presence: PresenceEventHandlers, event) => presence.handleCommand(event)),
  route(sessionStartedV1, (presence: PresenceEventHandlers, event) => presence.sessionStarted(event)),
  route(sessionEndedV1, (presence: PresenceEventHandlers, event) => presence.sessionEnded(event)),
  route(deviceRegisteredV1, (presence: PresenceEventHandlers, event) => presence.deviceRegistered(event)),
  route(deviceUnregisteredV1, (presence: PresenceEventHandlers, event) => presence.deviceUnregistered(event)),
];

/** Topics presence consumes (architecture.md, Topics). */
export const PRESENCE_TOPICS: readonly string[] = PRESENCE_ROUTES.map((r) => r.topic);

/** Presence's records: commands and the device and session events of auth. */
export class PresenceRecordHandler extends ContractRecordHandler<PresenceEventHandlers> {
  constructor(presence: PresenceEventHandlers, logger: LoggerService) {
    super({
      service: presence,
      routes: PRESENCE_ROUTES,
      logger,
      meterName: 'herald-presence',
      unexpectedTopic: (topic) => new UnexpectedTopicError(`presence does not consume ${topic}`),
    });
  }
}
