import { SIP_COMMAND_RECEIVED_V1 } from './events/sip-command-received.v1';
import { SIP_COMMAND_RECEIVED_AUTH_V1 } from './events/sip-command-received-by-owner.v1';
import { SIP_PUSH_OUTCOME_V1 } from './events/sip-push-outcome.v1';
import { SIP_REGISTER_REQUESTED_V1 } from './events/sip-register-requested.v1';
import { topicsToConsume } from './topics';

describe('topicsToConsume', () => {
  const routeTopics = [
    SIP_REGISTER_REQUESTED_V1,
    SIP_COMMAND_RECEIVED_V1,
    SIP_COMMAND_RECEIVED_AUTH_V1,
    SIP_PUSH_OUTCOME_V1,
  ];

  it('drops the legacy shared topics unless they are still consumed', () => {
    expect(topicsToConsume(routeTopics, false)).toEqual([
      SIP_REGISTER_REQUESTED_V1,
      SIP_COMMAND_RECEIVED_AUTH_V1,
    ]);
    expect(topicsToConsume(routeTopics, true)).toEqual(routeTopics);
  });
});
