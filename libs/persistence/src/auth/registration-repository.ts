import type { SessionCarrier } from '#herald/contracts';
import type {
  BindingKey,
  ExpiredRemoval,
  ClaimedSave,
  ClaimingRegistrations,
  Registration,
  RegistrationRepository,
  RemovedRegistration,
  SourceAddress,
  Transaction,
} from '#herald/domain';
import { CLAIMS_CTE } from '../idempotency';
import { keySetStatement, preparedStatement, queryKeySet, queryPrepared } from '../prepared-statement';
import { columnList, type RowOf } from '../table';
import { entityManagerOf } from '../unit-of-work';
import { REGISTRATIONS } from './auth.tables';

/** What a Registration is read from and saved as. */
const REGISTRATION_FIELDS = [
  'aor',
  'device_id',
  'contact',
  'contact_params',
  'edge_id',
  'flow_id',
  'transport',
  'source',
  'call_id',
  'cseq',
  'expires_at',
] as const;

export type RegistrationRow = RowOf<typeof REGISTRATIONS, (typeof REGISTRATION_FIELDS)[number]>;

interface RemovedRow {
  aor: string;
  device_id: string;
  carrier: SessionCarrier | null;
}

/** A binding the expiry sweep found due: removed when it expired, put off otherwise. */
interface SweptRow extends RemovedRow {
  expired: boolean;
}

const REGISTRATION_COLUMNS = columnList(REGISTRATIONS, REGISTRATION_FIELDS);

/**
 * Common table expressions that delete the registrations selected by `selection` (a query of
 * (aor, device_id)); the sessions go by ON DELETE CASCADE. REMOVED reads what they removed.
 */
function removingSelected(selection: string): string {
  return `target AS (${selection}),
      ended AS (
        SELECT s.aor, s.device_id, s.carrier FROM sessions s JOIN target t USING (aor, device_id)
      ),
      removed AS (
        DELETE FROM registrations r USING target t
        WHERE r.aor = t.aor AND r.device_id = t.device_id
        RETURNING r.aor, r.device_id
      )`;
}

/** The registrations removingSelected removed, with the carrier of the session each had. */
const REMOVED = `SELECT removed.aor, removed.device_id, ended.carrier
    FROM removed LEFT JOIN ended USING (aor, device_id)`;

/** Deletes the registrations selected by `selection` and returns them as REMOVED reads them. */
function removing(selection: string): string {
  return `WITH ${removingSelected(selection)} ${REMOVED}`;
}

/**
 * What a saved binding replaces of the stored one: everything but its key. A refresh that extends
 * the expiry leaves sweep_at as it is, so no indexed column changes and the update is HOT
 * (AuthRegistrationsSweepAt1797200000000); one that shortens it lowers sweep_at with it.
 */
const REPLACING_BINDING = `contact = EXCLUDED.contact, contact_params = EXCLUDED.contact_params,
     edge_id = EXCLUDED.edge_id, flow_id = EXCLUDED.flow_id, transport = EXCLUDED.transport,
     source = EXCLUDED.source, call_id = EXCLUDED.call_id, cseq = EXCLUDED.cseq, expires_at = EXCLUDED.expires_at,
     sweep_at = LEAST(registrations.sweep_at, EXCLUDED.expires_at)`;

/** The bindings' columns as saved: those read, and the sweep's due time, first the expiry. */
const SAVED_COLUMNS = `${REGISTRATION_COLUMNS}, sweep_at`;

const LIST_BY_AORS = keySetStatement(
  'text',
  (aorMatch) =>
    `SELECT ${REGISTRATION_COLUMNS} FROM registrations WHERE aor ${aorMatch} ORDER BY aor, device_id`,
);

// ix_registrations_udp_source (partial on transport) serves it.
const LIST_UDP_BY_SOURCES = preparedStatement(
  `SELECT ${REGISTRATION_COLUMNS} FROM registrations
   WHERE transport = 'udp' AND source = ANY($1::text[]::jsonb[]) ORDER BY aor, device_id`,
);

const SAVE_ALL = preparedStatement(
  `INSERT INTO registrations (${SAVED_COLUMNS})
   SELECT aor, device_id, contact, contact_params, edge_id, flow_id, transport, source::jsonb, call_id, cseq,
     expires_at, expires_at
   FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
     $8::text[], $9::text[], $10::bigint[], $11::timestamptz[])
     AS binding(aor, device_id, contact, contact_params, edge_id, flow_id, transport, source, call_id, cseq,
       expires_at)
   ON CONFLICT (aor, device_id) DO UPDATE SET ${REPLACING_BINDING}`,
);

// The bindings of the claims inserted, i.e. of the REGISTERs claimed first: a claim waits on a
// concurrent uncommitted claim of its key, then conflicts and saves nothing.
const CLAIM_AND_SAVE_ALL = preparedStatement(
  `WITH ${CLAIMS_CTE}, saved AS (
     INSERT INTO registrations (${SAVED_COLUMNS})
     SELECT b.aor, b.device_id, b.contact, b.contact_params, b.edge_id, b.flow_id, b.transport, b.source::jsonb,
       b.call_id, b.cseq, b.expires_at, b.expires_at
     FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
       $12::text[], $13::text[], $14::text[], $15::bigint[], $16::timestamptz[])
       AS b(claim_position, aor, device_id, contact, contact_params, edge_id, flow_id, transport, source, call_id,
         cseq, expires_at)
     JOIN claims c ON c.position = b.claim_position
     JOIN claimed k ON k.service = c.service AND k.aor = c.aor AND k.command_id = c.command_id
     ON CONFLICT (aor, device_id) DO UPDATE SET ${REPLACING_BINDING}
     RETURNING 1
   )
   SELECT c.position FROM claims c JOIN claimed USING (service, aor, command_id)`,
);

const REMOVE_PAIRS = preparedStatement(
  removing(
    `SELECT aor, device_id FROM registrations
     WHERE (aor, device_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
     ORDER BY aor, device_id FOR UPDATE`,
  ),
);

/** RegistrationRepository on `registrations` (and the sessions that hang on them). */
export class SqlRegistrationRepository implements RegistrationRepository, ClaimingRegistrations {
  async listByAor(tx: Transaction, aor: string): Promise<Registration[]> {
    const rows: RegistrationRow[] = await entityManagerOf(tx).query(
      `SELECT ${REGISTRATION_COLUMNS} FROM registrations WHERE aor = $1 ORDER BY device_id`,
      [aor],
    );
    return rows.map(toRegistration);
  }

  async find(tx: Transaction, aor: string, deviceId: string): Promise<Registration | undefined> {
    const rows: RegistrationRow[] = await entityManagerOf(tx).query(
      `SELECT ${REGISTRATION_COLUMNS} FROM registrations WHERE aor = $1 AND device_id = $2`,
      [aor, deviceId],
    );
    return rows.length > 0 ? toRegistration(rows[0]) : undefined;
  }

  async listByAors(tx: Transaction, aors: readonly string[]): Promise<Registration[]> {
    if (aors.length === 0) {
      return [];
    }
    const rows = await queryKeySet<RegistrationRow>(entityManagerOf(tx), LIST_BY_AORS, aors);
    return rows.map(toRegistration);
  }

  async listUdpBySources(tx: Transaction, sources: readonly SourceAddress[]): Promise<Registration[]> {
    if (sources.length === 0) {
      return [];
    }
    const rows = await queryPrepared<RegistrationRow>(entityManagerOf(tx), LIST_UDP_BY_SOURCES, [
      sources.map((source) => JSON.stringify({ address: source.address, port: source.port })),
    ]);
    return rows.map(toRegistration);
  }

  async saveAll(tx: Transaction, registrations: readonly Registration[]): Promise<void> {
    if (registrations.length === 0) {
      return;
    }
    await queryPrepared(
      entityManagerOf(tx),
      SAVE_ALL,
      bindingColumns((value) => registrations.map(value)),
    );
  }

  async claimAndSaveAll(tx: Transaction, entries: readonly ClaimedSave[]): Promise<boolean[]> {
    if (entries.length === 0) {
      return [];
    }
    const claims = entries.map(({ claim }) => claim);
    const saves = entries.flatMap(({ saves }, index) =>
      saves.map((saved) => ({ position: index + 1, saved })),
    );
    const rows = await queryPrepared<{ position: string }>(entityManagerOf(tx), CLAIM_AND_SAVE_ALL, [
      claims.map(({ key }) => key.service),
      claims.map(({ key }) => key.aor),
      claims.map(({ key }) => key.commandId),
      claims.map(({ expectedResult }) =>
        expectedResult === undefined ? null : JSON.stringify(expectedResult),
      ),
      saves.map(({ position }) => position),
      ...bindingColumns((value) => saves.map(({ saved }) => value(saved))),
    ]);
    const firsts = new Set(rows.map((row) => Number(row.position)));
    return entries.map((_, index) => firsts.has(index + 1));
  }

  remove(tx: Transaction, aor: string, deviceIds: readonly string[]): Promise<RemovedRegistration[]> {
    return this.removePairs(
      tx,
      deviceIds.map((deviceId) => ({ aor, deviceId })),
    );
  }

  async removePairs(tx: Transaction, bindings: readonly BindingKey[]): Promise<RemovedRegistration[]> {
    if (bindings.length === 0) {
      return [];
    }
    const rows = await queryPrepared<RemovedRow>(entityManagerOf(tx), REMOVE_PAIRS, [
      bindings.map((binding) => binding.aor),
      bindings.map((binding) => binding.deviceId),
    ]);
    return rows.map(toRemoved);
  }

  async removeExpired(tx: Transaction, now: Date, limit: number): Promise<ExpiredRemoval> {
    // Through ix_registrations_sweep_at: of the bindings due, the expired ones are removed, and
    // those refreshed since they came due are put off to their expiry. FOR UPDATE re-reads a row
    // another transaction changed meanwhile, `expired` included; rows locked elsewhere are left to
    // the next sweep.
    const rows: SweptRow[] = await entityManagerOf(tx).query(
      `WITH due AS (
         SELECT aor, device_id, expires_at, expires_at <= $1 AS expired FROM registrations
         WHERE sweep_at <= $1 ORDER BY sweep_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), postponed AS (
         UPDATE registrations r SET sweep_at = due.expires_at FROM due
         WHERE NOT due.expired AND r.aor = due.aor AND r.device_id = due.device_id
       ), ${removingSelected('SELECT aor, device_id FROM due WHERE expired')}
       SELECT *, true AS expired FROM (${REMOVED}) AS swept
       UNION ALL SELECT aor, device_id, NULL, false FROM due WHERE NOT expired`,
      [now, limit],
    );
    const expired = rows.filter((row) => row.expired);
    return { removed: expired.map(toRemoved), postponed: rows.length - expired.length };
  }
}

/** The array parameters of REGISTRATION_COLUMNS, in order, from `column` of each binding. */
function bindingColumns(column: <T>(value: (registration: Registration) => T) => T[]): unknown[][] {
  return [
    column((r) => r.aor),
    column((r) => r.deviceId),
    column((r) => r.contact),
    column((r) => r.contactParams ?? ''),
    column((r) => r.edgeId),
    column((r) => r.flowId),
    column((r) => r.transport),
    column((r) => JSON.stringify(r.source)),
    column((r) => r.callId),
    column((r) => r.cseq),
    column((r) => r.expiresAt),
  ];
}

export function toRegistration(row: RegistrationRow): Registration {
  return {
    aor: row.aor,
    deviceId: row.device_id,
    contact: row.contact,
    ...(row.contact_params === '' ? {} : { contactParams: row.contact_params }),
    edgeId: row.edge_id,
    flowId: row.flow_id,
    transport: row.transport,
    source: row.source,
    callId: row.call_id,
    cseq: Number(row.cseq),
    expiresAt: row.expires_at,
  };
}

function toRemoved(row: RemovedRow): RemovedRegistration {
  return row.carrier === null
    ? { aor: row.aor, deviceId: row.device_id }
    : { aor: row.aor, deviceId: row.device_id, endedSessionCarrier: row.carrier };
}
