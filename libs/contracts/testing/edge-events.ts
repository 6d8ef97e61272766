import { type CommandReceivedV1, type PushOutcomeV1, pushOutcomeV1, type PushRequestedV1 } from '../src';

/**
 * Events as the SIP edge publishes them, for the integration tests and the bench that drive the
 * services without an edge. Not built into dist with the apps: the bench's own tsconfig compiles it.
 */

/** The edge the fixtures' devices are registered at. */
export const FIXTURE_EDGE_ID = 'edge-0';

/** A registered device as the edge knows it. */
export interface FixtureDevice {
  aor: string;
  deviceId: string;
  /** Its Contact URI. */
  contact: string;
  /** The flow it registered over. */
  flowId: string;
}

let commandCount = 0;

/** A client command (protocol.md §5) from `device` as the edge forwards it; each gets its own Call-ID. */
export function commandReceived(
  device: FixtureDevice,
  envelope: { id: string; type: string } & Record<string, unknown>,
  carrier: CommandReceivedV1['carrier'] = 'INFO',
): CommandReceivedV1 {
  commandCount += 1;
  const at = new Date().toISOString();
  return {
    v: 1,
    type: 'sip.command-received',
    at,
    edgeId: FIXTURE_EDGE_ID,
    flowId: device.flowId,
    deviceId: device.deviceId,
    contact: device.contact,
    aor: device.aor,
    carrier,
    callId: `cmd-${commandCount}`,
    receivedAt: at,
    envelope: { v: 1, ...envelope },
  };
}

/** The edge's report that the device answered `push` with 200 OK. */
export function answeredOutcome(push: PushRequestedV1): PushOutcomeV1 {
  return pushOutcomeV1.build({
    pushId: push.pushId,
    origin: push.origin,
    aor: push.aor,
    deviceId: push.deviceId,
    edgeId: FIXTURE_EDGE_ID,
    outcome: 'answered',
    status: 200,
  });
}
