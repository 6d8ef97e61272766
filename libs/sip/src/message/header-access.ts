import { GrammarError } from '../grammar';
import { headerDisplayName } from './header-names';
import { SipHeaders } from './headers';
import { SipParseError, SipParseErrorCode } from './parse-error';

/** Runs a header parser, turning a grammar violation into a SipParseError (SIP_BAD_HEADER by default) naming it. */
export function parseHeaderValue<T>(
  name: string,
  parse: () => T,
  code: SipParseErrorCode = 'SIP_BAD_HEADER',
): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof GrammarError) throw new SipParseError(code, `bad ${name}: ${error.message}`);
    throw error;
  }
}

/** A header (by lookup key) that may appear at most once: undefined when absent, SIP_BAD_HEADER when repeated. */
export function singleHeader<T>(
  headers: SipHeaders,
  key: string,
  parse: (value: string) => T,
): T | undefined {
  return headers.typed(key, () => {
    const values = headers.getAll(key);
    if (values.length === 0) return undefined;
    const display = headerDisplayName(key, key);
    if (values.length > 1) throw new SipParseError('SIP_BAD_HEADER', `multiple ${display} headers`);
    return parseHeaderValue(display, () => parse(values[0]));
  });
}

/** A list header by lookup key (several lines and/or comma lists): undefined when absent. */
export function listHeader<T>(
  headers: SipHeaders,
  key: string,
  parse: (values: readonly string[]) => T,
): T | undefined {
  return headers.typed(key, () => {
    const values = headers.getAll(key);
    if (values.length === 0) return undefined;
    return parseHeaderValue(headerDisplayName(key, key), () => parse(values));
  });
}
