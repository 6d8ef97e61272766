import { GrammarError, NameAddr, readList, readNameAddr, unquote } from '../../grammar';
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
  return values.flatMap((v) => readList(v, readNameAddr));
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
    ...value,
    expires: expires === undefined ? undefined : parseDeltaSeconds(expires ?? '', 'contact expires'),
    instance: instance === undefined || instance === null ? undefined : unquote(instance),
  };
}

export function parseContacts(values: readonly string[]): ContactHeader {
  if (values.length === 1 && values[0] === '*') return { wildcard: true };
  if (values.some((v) => v.trim().startsWith('*'))) {
    // STAR is allowed alone only (RFC 3261 §10.2.2).
    throw new GrammarError('"*" must be the only Contact');
  }
  return { wildcard: false, contacts: values.flatMap((v) => readList(v, readNameAddr)).map(toContact) };
}
