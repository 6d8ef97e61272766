import {
  ContractRecordHandler,
  type EventBus,
  type RecordLogger,
  route,
  sharedTopicRoute,
  type SubscriptionHandle,
} from '#herald/bus';
import {
  type CommandReceivedV1,
  commandReceivedByOwnerV1,
  commandReceivedV1,
  deviceRegisteredV1,
  isCommandFor,
  type PushOutcomeV1,
  pushOutcomeByOriginV1,
  pushOutcomeV1,
  sessionStartedV1,
} from '#herald/contracts';
import { GROUP_COMMIT_MAX_ITEMS, type ImRouter } from '#herald/domain';
import { IM_ROUTER_CONSUMER_GROUP } from './im-router.config';

/** A record of a topic the consumer did not subscribe to: a wiring bug, never skipped silently. */
export class UnexpectedTopicError extends Error {
  readonly code = 'IM_ROUTER_UNEXPECTED_TOPIC';
}

const handleCommand = (router: ImRouter, event: CommandReceivedV1) => router.handleCommand(event);
const handleCommands = (router: ImRouter, events: ReadonlyArray<CommandReceivedV1>) =>
  router.handleCommands(events);
const settle = (router: ImRouter, event: PushOutcomeV1) => router.settle(event);
const settleAll = (router: ImRouter, events: ReadonlyArray<PushOutcomeV1>) => router.settleAll(events);

const IM_ROUTER_ROUTES = [
  // A run of one sender's commands (or one recipient's outcomes) shares one transaction and one publish.
  route(commandReceivedByOwnerV1['im-router'], handleCommand, handleCommands),
  route(pushOutcomeByOriginV1['im-router'], settle, settleAll),
  route(sessionStartedV1, (router: ImRouter, event) =>
    router.deliverStored(event.aor, event.deviceId, new Date(event.at)),
  ),
  route(deviceRegisteredV1, (router: ImRouter, event) => router.deviceRegistered(event)),
  // Rolling upgrade (docs/deploy.md): edges of the previous release publish every command and
  // outcome on the legacy topics; drop these routes in the next release.
  sharedTopicRoute(
    commandReceivedV1,
    (event) => isCommandFor('im-router', event),
    handleCommand,
    handleCommands,
  ),
  sharedTopicRoute(pushOutcomeV1, (event) => event.origin === 'im-router', settle, settleAll),
];

export const IM_ROUTER_TOPICS: readonly string[] = IM_ROUTER_ROUTES.map((r) => r.topic);

/**
 * im-router's records: its commands and push outcomes (in runs), session starts and new
 * registrations (one by one).
 */
export class ImRouterRecordHandler extends ContractRecordHandler<ImRouter> {
  constructor(router: ImRouter, logger: RecordLogger) {
    super({
      service: router,
      routes: IM_ROUTER_ROUTES,
      logger,
      meterName: 'herald-im-router',
      unexpectedTopic: (topic) => new UnexpectedTopicError(`im-router does not consume ${topic}`),
    });
  }
}

/**
 * Consumes `topics` (IM_ROUTER_TOPICS, or those but the legacy ones: topicsToConsume) in
 * im-router's consumer group until the handle is stopped.
 */
export function subscribeImRouter(
  bus: EventBus,
  records: ImRouterRecordHandler,
  topics: readonly string[],
): Promise<SubscriptionHandle> {
  return bus.subscribe({
    groupId: IM_ROUTER_CONSUMER_GROUP,
    topics,
    // Runs of commands and outcomes are group-committed (ImSend, ImSettle): the runs in flight are
    // what fills a group, and one waiting for its group holds no database connection.
    handlerConcurrency: GROUP_COMMIT_MAX_ITEMS,
    handler: (record) => records.handle(record),
    handleRun: (run) => records.handleRun(run),
  });
}
