import { ContractRecordHandler, type RecordLogger, route, sharedTopicRoute } from '#herald/bus';
import {
  type CommandReceivedV1,
  commandReceivedByOwnerV1,
  commandReceivedV1,
  isCommandFor,
  registerRequestedV1,
} from '#herald/contracts';
import type { AuthServices } from './auth.services';

/** A record of a topic auth did not subscribe to: a wiring bug, never skipped silently. */
export class UnexpectedTopicError extends Error {
  readonly code = 'AUTH_UNEXPECTED_TOPIC';
}

const handleCommand = (services: AuthServices, command: CommandReceivedV1) =>
  services.commands.handle(command);

const AUTH_ROUTES = [
  route(registerRequestedV1, (services: AuthServices, request) => services.registrar.register(request)),
  route(commandReceivedByOwnerV1.auth, handleCommand),
  // Rolling upgrade (docs/deploy.md): edges of the previous release publish every command on the
  // legacy topic; drop this route in the next release.
  sharedTopicRoute(commandReceivedV1, (command) => isCommandFor('auth', command), handleCommand),
];

export const AUTH_TOPICS: readonly string[] = AUTH_ROUTES.map((r) => r.topic);

/** Auth's records: REGISTERs to the registrar, auth's commands to the command service. */
export class AuthRecordHandler extends ContractRecordHandler<AuthServices> {
  constructor(services: AuthServices, logger: RecordLogger) {
    super({
      service: services,
      routes: AUTH_ROUTES,
      logger,
      meterName: 'herald-auth',
      unexpectedTopic: (topic) => new UnexpectedTopicError(`auth does not consume ${topic}`),
    });
  }
}
