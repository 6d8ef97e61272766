import { type Origin, type TopicContract, defineTopicContract } from './common';
import { type EncodedRecord } from './event-contract';
import { type PushOutcomeV1, PushOutcomeV1Schema } from './sip-push-outcome.v1';

export const SIP_PUSH_OUTCOME_AUTH_V1 = 'sip.push-outcome.auth.v1';
export const SIP_PUSH_OUTCOME_PRESENCE_V1 = 'sip.push-outcome.presence.v1';
export const SIP_PUSH_OUTCOME_IM_ROUTER_V1 = 'sip.push-outcome.im-router.v1';

/** The outcomes of each origin's pushes go to its own topic: `sip.push-outcome.<origin>.v1`. */
export const PUSH_OUTCOME_V1_TOPICS = {
  auth: SIP_PUSH_OUTCOME_AUTH_V1,
  presence: SIP_PUSH_OUTCOME_PRESENCE_V1,
  'im-router': SIP_PUSH_OUTCOME_IM_ROUTER_V1,
} as const satisfies Record<Origin, string>;

/**
 * The sip.push-outcome v1 payload on one origin's topic; an outcome of another origin's push
 * breaks the contract (a routing bug, logged and counted by the consumer, never acted on).
 */
function originContract(origin: Origin): TopicContract<PushOutcomeV1> {
  return defineTopicContract({
    topic: PUSH_OUTCOME_V1_TOPICS[origin],
    schema: PushOutcomeV1Schema.check((ctx) => {
      const actual = ctx.value.origin;
      if (actual !== origin) {
        ctx.issues.push({
          code: 'custom',
          input: actual,
          path: ['origin'],
          message: `an outcome of a push ${actual} requested: it belongs on ${PUSH_OUTCOME_V1_TOPICS[actual]}`,
        });
      }
    }),
    version: 1,
    type: 'sip.push-outcome',
    key: (event) => event.aor,
  });
}

/** The outcome contract of each origin's topic. */
export const pushOutcomeByOriginV1: Readonly<Record<Origin, TopicContract<PushOutcomeV1>>> = {
  auth: originContract('auth'),
  presence: originContract('presence'),
  'im-router': originContract('im-router'),
};

/** Encodes and keys a push outcome for its origin's topic. */
export function routedPushOutcomeRecordV1(event: PushOutcomeV1): EncodedRecord {
  return pushOutcomeByOriginV1[event.origin].record(event);
}
