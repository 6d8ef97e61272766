// What the interop tests need of a browser SIP library (JsSIP, SIP.js) run in Node over WebSocket
// (Node 24's global WebSocket, RFC 7118 subprotocol `sip`): register, send a MESSAGE, keep the
// MESSAGEs it received (each answered 200 by the library).
import { readFileSync } from 'node:fs';
import type { TransportAddress } from '#herald/sip';

export interface WebPhoneAccount {
  /** Herald's plain WebSocket listener. */
  server: TransportAddress;
  domain: string;
  user: string;
  password: string;
}

/** A MESSAGE the library received and answered. */
export interface ReceivedWebMessage {
  /** The From URI. */
  from: string;
  contentType: string;
  body: string;
}

/** The final response to the library's REGISTER: 200, or the status it gave up at. */
export type WebRegistration = { registered: true } | { registered: false; status: number };

export interface WebPhone {
  readonly aor: string;
  readonly received: readonly ReceivedWebMessage[];
  register(): Promise<WebRegistration>;
  /** Sends a MESSAGE outside any dialog; resolves with the final response's status. */
  message(target: string, body: string, contentType: string): Promise<number>;
  stop(): Promise<void>;
}

export interface WebPhoneLibrary {
  /** The name docs/interop.md gives it. */
  readonly client: string;
  /** The npm package's version. */
  readonly version: string;
  open(account: WebPhoneAccount): WebPhone;
}

export function wsUrl(server: TransportAddress): string {
  return `ws://${server.address}:${server.port}`;
}

/** The version of an installed npm package, from its package.json. */
export function npmPackageVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
