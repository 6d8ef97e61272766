import { ContractRecordHandler, type RecordLogger, route } from '#herald/bus';
import { commandReceivedV1, registerRequestedV1 } from '#herald/contracts';
import type { AuthServices } from './auth.services';

/** A record of a topic auth did not subscribe to: a wiring bug, never skipped silently. */
export class UnexpectedTopicError extends Error {
  readonly code = 'AUTH_UNEXPECTED_TOPIC';
}

const AUTH_ROUTES = [
  route(registerRequestedV1, (services: AuthServices, request) => services.registrar.register(request)),
  route(commandReceivedV1, (services: AuthServices, command) => services.commands.handle(command)),
];

export const AUTH_TOPICS: readonly string[] = AUTH_ROUTES.map((r) => r.topic);

/** Auth's records: REGISTERs to the registrar, commands to the command service. */
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
