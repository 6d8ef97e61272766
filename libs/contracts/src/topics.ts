import { COMMAND_TYPES } from './client/commands';
import type { Origin } from './events/common';
import type { EventContract } from './events/event-contract';
import { AUTH_DEVICE_REGISTERED_V1, deviceRegisteredV1 } from './events/auth-device-registered.v1';
import { AUTH_DEVICE_UNREGISTERED_V1, deviceUnregisteredV1 } from './events/auth-device-unregistered.v1';
import { AUTH_SESSION_ENDED_V1, sessionEndedV1 } from './events/auth-session-ended.v1';
import { AUTH_SESSION_STARTED_V1, sessionStartedV1 } from './events/auth-session-started.v1';
import { EDGE_OUTBOUND_V1_PATTERN, edgeOutboundV1 } from './events/edge-outbound.v1';
import { IM_MESSAGE_ACCEPTED_V1, messageAcceptedV1 } from './events/im-message-accepted.v1';
import { PRESENCE_STATUS_CHANGED_V1, statusChangedV1 } from './events/presence-status-changed.v1';
import { commandReceivedV1, SIP_COMMAND_RECEIVED_V1 } from './events/sip-command-received.v1';
import {
  COMMAND_OWNERS,
  COMMAND_RECEIVED_V1_TOPICS,
  type CommandOwner,
  commandReceivedByOwnerV1,
  UNOWNED_COMMAND_OWNER,
} from './events/sip-command-received-by-owner.v1';
import { publishRequestedV1, SIP_PUBLISH_REQUESTED_V1 } from './events/sip-publish-requested.v1';
import { pushOutcomeV1, SIP_PUSH_OUTCOME_V1 } from './events/sip-push-outcome.v1';
import { PUSH_OUTCOME_V1_TOPICS, pushOutcomeByOriginV1 } from './events/sip-push-outcome-by-origin.v1';
import { registerRequestedV1, SIP_REGISTER_REQUESTED_V1 } from './events/sip-register-requested.v1';
import { SIP_SUBSCRIBE_REQUESTED_V1, subscribeRequestedV1 } from './events/sip-subscribe-requested.v1';

export type Service = 'sip-edge' | 'auth' | 'presence' | 'im-router';

type AnyEventContract = EventContract<{ v: number; type: string; at: string }>;

export interface TopicDescription {
  /** The topic name, or for per-edge topics the pattern with `{edgeId}`. */
  topic: string;
  /** Builds, encodes and decodes (validating) the topic's events. */
  contract: AnyEventContract;
  /** The event `type` values carried. */
  eventTypes: readonly string[];
  key: string;
  producer: Service | 'services';
  /** Consumer services; `anyone` for events published for whoever cares. */
  consumers: readonly (Service | 'anyone')[];
  summary: string;
}

/**
 * How the edge's commands and requests travel (architecture.md, The edge link: Requests over the
 * link): the summary's second sentence on each of their topics.
 */
const OVER_THE_LINK =
  "The same records travel the edge link to the replica whose consumer owns the record's partition when it takes them, acknowledged once it committed them; this topic is their fallback, always consumed.";

/** The topic of the commands `owner` acts on (architecture.md, Commands and where they go). */
function ownerCommandsTopic(owner: CommandOwner): TopicDescription {
  const types = COMMAND_TYPES.filter((type) => COMMAND_OWNERS[type] === owner);
  const unowned = owner === UNOWNED_COMMAND_OWNER ? ', or of a type nobody owns' : '';
  const plain = types.includes('im.send') ? ', or a text/plain MESSAGE turned into im.send' : '';
  return {
    topic: COMMAND_RECEIVED_V1_TOPICS[owner],
    contract: commandReceivedByOwnerV1[owner],
    eventTypes: ['sip.command-received'],
    key: 'AOR (sender)',
    producer: 'sip-edge',
    consumers: [owner],
    summary: `A decoded envelope command from a registered flow of a type ${owner} owns (${types.join(', ')})${unowned}${plain}. ${OVER_THE_LINK}`,
  };
}

/** The topic of the outcomes of `origin`'s pushes. */
function originOutcomesTopic(origin: Origin): TopicDescription {
  return {
    topic: PUSH_OUTCOME_V1_TOPICS[origin],
    contract: pushOutcomeByOriginV1[origin],
    eventTypes: ['sip.push-outcome'],
    key: 'AOR (target)',
    producer: 'sip-edge',
    // auth acts on no outcome: a client that misses a result re-sends its command and gets the stored one.
    consumers: origin === 'auth' ? ['anyone'] : [origin],
    summary: `What became of a push ${origin} requested: answered, failed, timed-out or no-flow. The same records travel the edge link to a connected ${origin} replica when it takes them; this topic is their fallback.`,
  };
}

/** Every topic of architecture.md's table: the source of docs/asyncapi.yaml and its test. */
export const TOPICS: readonly TopicDescription[] = [
  {
    topic: SIP_REGISTER_REQUESTED_V1,
    contract: registerRequestedV1,
    eventTypes: ['sip.register-requested'],
    key: 'AOR',
    producer: 'sip-edge',
    consumers: ['auth'],
    summary: `A REGISTER with a well-formed, fresh, not-replayed digest Authorization. ${OVER_THE_LINK}`,
  },
  ...(Object.keys(COMMAND_RECEIVED_V1_TOPICS) as CommandOwner[]).map(ownerCommandsTopic),
  {
    topic: SIP_COMMAND_RECEIVED_V1,
    contract: commandReceivedV1,
    eventTypes: ['sip.command-received'],
    key: 'AOR (sender)',
    producer: 'sip-edge',
    consumers: ['auth', 'presence', 'im-router'],
    summary:
      'Legacy, read during a rolling upgrade (HERALD_CONSUME_LEGACY_TOPICS=true): every command from edges of the previous release; each service acts on the types it owns.',
  },
  {
    topic: EDGE_OUTBOUND_V1_PATTERN,
    contract: edgeOutboundV1,
    eventTypes: [
      'push.requested',
      'register.decided',
      'publish.decided',
      'subscribe.decided',
      'notify.requested',
    ],
    key: 'AOR (target)',
    producer: 'services',
    consumers: ['sip-edge'],
    summary:
      'Requests for one edge: send a push over a flow, or the final response to a pending REGISTER or PUBLISH. The same records travel the edge link when the edge takes them there; this topic is their fallback, always consumed.',
  },
  {
    topic: SIP_SUBSCRIBE_REQUESTED_V1,
    contract: subscribeRequestedV1,
    eventTypes: ['sip.subscribe-requested'],
    key: 'AOR (subscriber)',
    producer: 'sip-edge',
    consumers: ['presence'],
    summary: `A SUBSCRIBE with Event: presence from a registered flow: initial, refresh or unsubscribe. ${OVER_THE_LINK}`,
  },
  {
    topic: SIP_PUBLISH_REQUESTED_V1,
    contract: publishRequestedV1,
    eventTypes: ['sip.publish-requested'],
    key: 'AOR (publisher)',
    producer: 'sip-edge',
    consumers: ['presence'],
    summary: `A presence PUBLISH (RFC 3903) from a registered flow: initial, refresh, modify or remove. ${OVER_THE_LINK}`,
  },
  ...(Object.keys(PUSH_OUTCOME_V1_TOPICS) as Origin[]).map(originOutcomesTopic),
  {
    topic: SIP_PUSH_OUTCOME_V1,
    contract: pushOutcomeV1,
    eventTypes: ['sip.push-outcome'],
    key: 'AOR (target)',
    producer: 'sip-edge',
    consumers: ['presence', 'im-router'],
    summary:
      'Legacy, read during a rolling upgrade (HERALD_CONSUME_LEGACY_TOPICS=true): every push outcome from edges of the previous release; each service acts on those of its own pushes.',
  },
  {
    topic: AUTH_DEVICE_REGISTERED_V1,
    contract: deviceRegisteredV1,
    eventTypes: ['auth.device-registered'],
    key: 'AOR',
    producer: 'auth',
    consumers: ['presence', 'im-router'],
    summary: "A device's binding was created (a refresh is not announced).",
  },
  {
    topic: AUTH_DEVICE_UNREGISTERED_V1,
    contract: deviceUnregisteredV1,
    eventTypes: ['auth.device-unregistered'],
    key: 'AOR',
    producer: 'auth',
    consumers: ['presence', 'im-router'],
    summary:
      'A binding was removed: unregister, expired, edge-lost, account-deleted, account-disabled or superseded.',
  },
  {
    topic: AUTH_SESSION_STARTED_V1,
    contract: sessionStartedV1,
    eventTypes: ['auth.session-started'],
    key: 'AOR',
    producer: 'auth',
    consumers: ['presence', 'im-router'],
    summary: 'A device logged in (status, note, carrier).',
  },
  {
    topic: AUTH_SESSION_ENDED_V1,
    contract: sessionEndedV1,
    eventTypes: ['auth.session-ended'],
    key: 'AOR',
    producer: 'auth',
    consumers: ['presence', 'im-router'],
    summary: 'Logout, expiry or unregister of a logged-in device.',
  },
  {
    topic: PRESENCE_STATUS_CHANGED_V1,
    contract: statusChangedV1,
    eventTypes: ['presence.status-changed'],
    key: 'AOR',
    producer: 'presence',
    consumers: ['anyone'],
    summary: 'The aggregate status of a user changed.',
  },
  {
    topic: IM_MESSAGE_ACCEPTED_V1,
    contract: messageAcceptedV1,
    eventTypes: ['im.message-accepted'],
    key: 'AOR (recipient)',
    producer: 'im-router',
    consumers: ['anyone'],
    summary: 'An IM was stored.',
  },
];

/** Topics with a fixed name (everything but the per-edge outbound topics), for `ensureTopics`. */
export const FIXED_TOPICS: readonly string[] = TOPICS.map((t) => t.topic).filter((t) => !t.includes('{'));

/**
 * The shared topics every command and push outcome went to before per-service topics; read only
 * during a rolling upgrade from that release (docs/deploy.md, Upgrading).
 */
export const LEGACY_TOPICS: readonly string[] = [SIP_COMMAND_RECEIVED_V1, SIP_PUSH_OUTCOME_V1];

/**
 * The topics of a service's routes it subscribes to: all of them while the legacy ones are still
 * consumed (HERALD_CONSUME_LEGACY_TOPICS), else all but the legacy ones.
 */
export function topicsToConsume(routeTopics: readonly string[], consumeLegacyTopics: boolean): string[] {
  return routeTopics.filter((topic) => consumeLegacyTopics || !LEGACY_TOPICS.includes(topic));
}
