import { EventBus } from '#herald/bus';
import {
  Clock,
  DEFAULT_NONCE_COUNT_CAPACITY,
  DEFAULT_NONCE_LIFETIME_MS,
  DigestFreshnessChecker,
  NonceCountTracker,
  NonceIssuer,
  resolveTransactionTimers,
} from '#herald/sip';
import { SipEdgeConfig } from './edge-config';
import { FlowBindWaits } from './flows/flow-bind-waits';
import { FlowRateLimiter } from './flows/flow-rate-limiter';
import { FlowRegistry } from './flows/flow-registry';
import { BusPublisher } from './inbound/bus-publisher';
import { CommandIntake } from './inbound/command-intake';
import { DigestChallenger } from './inbound/digest-challenger';
import { InfoHandler } from './inbound/handlers/info.handler';
import { MessageHandler } from './inbound/handlers/message.handler';
import { OptionsHandler } from './inbound/handlers/options.handler';
import { PublishHandler } from './inbound/handlers/publish.handler';
import { RegisterHandler } from './inbound/handlers/register.handler';
import { SubscribeHandler } from './inbound/handlers/subscribe.handler';
import { InboundPipeline, StatelessSender } from './inbound/inbound-pipeline';
import { MethodHandler } from './inbound/inbound-request';
import { PendingDecisions } from './inbound/pending-decisions';
import { ServiceDecisions } from './inbound/service-decisions';
import { RequestRouter } from './inbound/request-router';
import { EdgeThrottle } from './throttle/edge-throttle';

/** The transport-independent part of the edge: what handles requests and holds registrations. */
export interface EdgeCore {
  registry: FlowRegistry;
  /** Pushes waiting for their UDP flow to be bound here (PushSender). */
  bindWaits: FlowBindWaits;
  pending: PendingDecisions;
  publisher: BusPublisher;
  pipeline: InboundPipeline;
  /** Absent when the throttle is off. */
  throttle: EdgeThrottle | undefined;
}

/** Wires the inbound side; `sendStateless` carries 400s for unparsable requests. */
export function createEdgeCore(
  bus: EventBus,
  config: SipEdgeConfig,
  clock: Clock,
  sendStateless: StatelessSender,
): EdgeCore {
  const limiter = new FlowRateLimiter(config.rateLimit, clock);
  const throttle =
    config.throttle === undefined ? undefined : new EdgeThrottle(config.throttle, () => clock.now());
  // A push waits for its flow's binding as long as it would wait for the device's answer (Timer F).
  const bindWaits = new FlowBindWaits(clock, resolveTransactionTimers(config.timers).timeoutMs);
  const registry = new FlowRegistry(
    clock,
    (binding) => limiter.forget(binding.flowId),
    (binding) => bindWaits.bound(binding.flowId, binding),
  );
  const nonces = new NonceIssuer({
    secret: config.nonceSecret,
    lifetimeMs: config.nonceLifetimeMs,
    now: () => clock.now(),
  });
  const challenger = new DigestChallenger(config.domain, nonces, config.digestAlgorithms);
  const nonceCounts = new NonceCountTracker(
    DEFAULT_NONCE_COUNT_CAPACITY,
    config.nonceLifetimeMs ?? DEFAULT_NONCE_LIFETIME_MS,
  );
  const freshness = new DigestFreshnessChecker(nonces, nonceCounts);
  const publisher = new BusPublisher(bus, config.retryAfterSeconds);
  const pending = new PendingDecisions(clock);
  const decisions = new ServiceDecisions(config.decisionTimeoutsMs, pending, publisher, () => clock.now());
  const intake = new CommandIntake(config, registry, challenger, publisher);
  const handlers: MethodHandler[] = [
    new RegisterHandler(config, challenger, freshness, publisher, decisions, registry, throttle, () =>
      clock.now(),
    ),
    new InfoHandler(intake),
    new MessageHandler(intake),
    new OptionsHandler(() => router.allowedMethods),
    new PublishHandler(config, intake, decisions),
    new SubscribeHandler(config, intake, decisions),
  ];
  const router: RequestRouter = new RequestRouter(config.domain, handlers);
  const pipeline = new InboundPipeline(
    router,
    limiter,
    throttle,
    sendStateless,
    config.retryAfterSeconds,
    () => new Date(clock.now()),
  );
  return { registry, bindWaits, pending, publisher, pipeline, throttle };
}
