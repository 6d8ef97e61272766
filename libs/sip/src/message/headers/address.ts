import { GrammarError } from '../../grammar/grammar-error';
import { NameAddr, readList, readNameAddr } from '../../grammar/name-addr';
import { unquote } from '../../grammar/quoted-string';
import { parseDeltaSeconds } from './numbers';

/** From / To: one name-addr; `tag` lifted out of the params (RFC 3261 §19.3). */
export interface Address extends NameAddr {
  readonly tag: string | undefined;
}

export function parseAddress(text: string): Address {
  const { value, end } = readNameAddr(text, 0);
  if (end !== text.length) throw new GrammarError('only one address allowed');
  const tag = value.params.get('tag');
  if (tag === null) throw new GrammarError('tag without value');
  return { displayName: value.displayName, uri: value.uri, params: value.params, tag };
}

/** Route, Record-Route, Path: comma lists of name-addr (RFC 3261 §20.30, §20.34; RFC 3327). */
export function parseAddressList(values: readonly string[]): NameAddr[] {
  const addresses: NameAddr[] = [];
  for (const value of values) readList(value, readNameAddr, addresses);
  return addresses;
}

/** One Contact value with its expires and +sip.instance (RFC 3261 §20.10, RFC 5626 §4.1). */
export interface ContactValue extends NameAddr {
  readonly expires: number | undefined;
  /** +sip.instance unquoted, e.g. `<urn:uuid:…>`. */
  readonly instance: string | undefined;
}

/** Contact: "*" (only in a REGISTER that removes every binding), or a list of contact values. */
export type ContactHeader =
  { readonly wildcard: true } | { readonly wildcard: false; readonly contacts: ContactValue[] };

function toContact(value: NameAddr): ContactValue {
  const expires = value.params.get('expires');
  const instance = value.params.get('+sip.instance');
  return {
    displayName: value.displayName,
    uri: value.uri,
    params: value.params,
    expires: expires === undefined ? undefined : parseDeltaSeconds(expires ?? '', 'contact expires'),
    instance: instance === undefined || instance === null ? undefined : unquote(instance),
  };
}

const STAR = 0x2a;

/** Whether the value, trimmed, starts with "*"; trim() runs only when it starts with a space-like code. */
function startsWithStar(value: string): boolean {
  const first = value.charCodeAt(0);
  if (first === STAR) return true;
  const mayStartWithSpace = first <= 0x20 || first >= 0x7f;
  return mayStartWithSpace && value.trim().startsWith('*');
}

export function parseContacts(values: readonly string[]): ContactHeader {
  if (values.length === 1 && values[0] === '*') return { wildcard: true };
  const contacts: ContactValue[] = [];
  for (const value of values) {
    // STAR is allowed alone only (RFC 3261 §10.2.2).
    if (startsWithStar(value)) throw new GrammarError('"*" must be the only Contact');
  }
  for (const value of values) {
    for (const address of readList(value, readNameAddr)) contacts.push(toContact(address));
  }
  return { wildcard: false, contacts };
}
