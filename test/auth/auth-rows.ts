import { deviceRegisteredV1, type DeviceStatus, type SessionCarrier } from '#herald/contracts';
import type { BusRecord } from '#herald/bus';
import {
  SqlAccountRepository,
  SqlRegistrationRepository,
  SqlSessionRepository,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import type { DataSource } from 'typeorm';

/** How long the bindings these helpers write stay registered: longer than any test. */
const TEST_BINDING_LIFETIME_MS = 3_600_000;

/**
 * Rows auth would have written (accounts, registrations, sessions), for the integration tests of
 * the services that read them (presence, im-router) without running auth.
 */
export async function insertAccount(dataSource: DataSource, aor: string): Promise<void> {
  const now = new Date();
  await new TypeOrmUnitOfWork(dataSource).run((tx) =>
    new SqlAccountRepository().insert(tx, {
      username: aor.slice(aor.indexOf(':') + 1, aor.indexOf('@')),
      aor,
      realm: aor.slice(aor.indexOf('@') + 1),
      ha1: { 'SHA-256': 'x', MD5: 'x' },
      disabled: false,
      profile: { settings: {} },
      createdAt: now,
      updatedAt: now,
    }),
  );
}

export interface TestDevice {
  aor: string;
  deviceId: string;
  edgeId: string;
  /** Logged in with this carrier and status; without it a plain SIP device. */
  session?: { carrier: SessionCarrier; status: DeviceStatus };
}

/** Where a TCP test device is bound: the same in the rows and in the events of these tests. */
export function tcpTestBinding(deviceId: string, edgeId: string) {
  return { deviceId, contact: `sip:${deviceId}@127.0.0.1:5070`, edgeId, flowId: `tcp:${deviceId}` };
}

/** A binding over TCP from 127.0.0.1 (contact `sip:<deviceId>@127.0.0.1:5070`), and its session. */
export async function insertDevice(dataSource: DataSource, device: TestDevice): Promise<void> {
  const { aor, deviceId, edgeId, session } = device;
  await new TypeOrmUnitOfWork(dataSource).run(async (tx) => {
    await new SqlRegistrationRepository().saveAll(tx, [
      {
        aor,
        ...tcpTestBinding(deviceId, edgeId),
        transport: 'tcp',
        source: { address: '127.0.0.1', port: 5070 },
        callId: `reg-${deviceId}`,
        cseq: 1,
        expiresAt: new Date(Date.now() + TEST_BINDING_LIFETIME_MS),
      },
    ]);
    if (session !== undefined) {
      await new SqlSessionRepository().save(tx, { aor, deviceId, ...session, startedAt: new Date() });
    }
  });
}

/** The `auth.device-registered.v1` record auth publishes for a new binding of a TCP test device. */
export function deviceRegisteredRecord(
  aor: string,
  deviceId: string,
  edgeId: string,
  decidedAt = new Date(),
): Omit<BusRecord, 'headers'> {
  return deviceRegisteredV1.record(
    deviceRegisteredV1.build(
      {
        aor,
        ...tcpTestBinding(deviceId, edgeId),
        transport: 'tcp',
        expiresAt: new Date(decidedAt.getTime() + TEST_BINDING_LIFETIME_MS).toISOString(),
        created: true,
      },
      decidedAt,
    ),
  );
}
