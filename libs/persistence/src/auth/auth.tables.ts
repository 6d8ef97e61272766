import type { DeviceStatus, SessionCarrier, Transport } from '#herald/contracts';
import { bigint, boolean, jsonb, nullable, table, text, timestamptz, view } from '../table';

/** Accounts: HA1 per algorithm and profile (migration AuthAccountsRegistrationsSessions1795493286458). */
export const ACCOUNTS = table('accounts', {
  username: text(),
  aor: text(),
  realm: text(),
  ha1_md5: text(),
  ha1_sha256: text(),
  disabled: boolean(),
  display_name: nullable(text()),
  settings: jsonb<Record<string, unknown>>(),
  created_at: timestamptz(),
  updated_at: timestamptz(),
});

/** One binding of an AOR to a device. */
export const REGISTRATIONS = table('registrations', {
  aor: text(),
  device_id: text(),
  contact: text(),
  edge_id: text(),
  flow_id: text(),
  transport: text<Transport>(),
  source: jsonb<{ address: string; port: number }>(),
  call_id: text(),
  cseq: bigint(),
  expires_at: timestamptz(),
  /** The device sent `login` during this registration (AuthRegistrationsJsonClient1795500100000). */
  json_client: boolean(),
  /** When the binding was created, kept across refreshes (AuthRegistrationsRegisteredAt1795600200000). */
  registered_at: timestamptz(),
  /** The Contact's parameters other than expires, '' for none (AuthRegistrationsContactParams1796563600000). */
  contact_params: text(),
  /** The expiry sweep's due time, never after expires_at (AuthRegistrationsSweepAt1797200000000). */
  sweep_at: timestamptz(),
});

/** A logged-in device, deleted with its registration. */
export const SESSIONS = table('sessions', {
  aor: text(),
  device_id: text(),
  carrier: text<SessionCarrier>(),
  status: text<DeviceStatus>(),
  note: nullable(text()),
  device_name: nullable(text()),
  device_agent: nullable(text()),
  started_at: timestamptz(),
});

/**
 * auth's read contract, version 1 (migration AuthReadContractV11796600000000): what presence and
 * im-router read of auth's tables. Live bindings with their session's carrier, NULL without one.
 */
export const AUTH_DEVICES_V1 = view('auth_devices_v1', {
  aor: text(),
  device_id: text(),
  edge_id: text(),
  flow_id: text(),
  contact: text(),
  json_client: boolean(),
  registered_at: timestamptz(),
  carrier: nullable(text<SessionCarrier>()),
});

/**
 * Plain SIP devices (migration AuthPlainDevicesV11796700000000): live bindings with no login
 * during this registration. A row locked FOR SHARE holds off the device's login.
 */
export const AUTH_PLAIN_DEVICES_V1 = view('auth_plain_devices_v1', {
  aor: text(),
  device_id: text(),
});

/** The AORs of accounts that are not disabled: a disabled account counts as absent. */
export const AUTH_ACTIVE_ACCOUNTS_V1 = view('auth_active_accounts_v1', {
  aor: text(),
});
