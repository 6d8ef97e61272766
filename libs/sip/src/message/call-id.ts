import { randomString } from '../random-pool';

/** Random bytes of a Call-ID: 96 bits keep it unique over space and time (RFC 3261 §8.1.1.4). */
const CALL_ID_RANDOM_BYTES = 12;

/** A fresh Call-ID `<random>@<host>` for a request outside any dialog (RFC 3261 §8.1.1.4, §20.8). */
export function newCallId(host: string): string {
  return `${randomString(CALL_ID_RANDOM_BYTES, 'hex')}@${host}`;
}
