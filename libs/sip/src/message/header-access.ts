import { GrammarError } from '../grammar/grammar-error';
import { headerDisplayName } from './header-names';
import { NOT_CACHED, SipHeaders } from './headers';
import { SipParseError, SipParseErrorCode } from './parse-error';

/** Turns a grammar violation into a SipParseError (SIP_BAD_HEADER by default) naming the header. */
export function toParseError(
  error: unknown,
  name: string,
  code: SipParseErrorCode = 'SIP_BAD_HEADER',
): unknown {
  return error instanceof GrammarError ? new SipParseError(code, `bad ${name}: ${error.message}`) : error;
}

/** Parses one value of a header (by lookup key), reporting a grammar violation as SIP_BAD_HEADER. */
export function parseHeaderLine<T>(key: string, value: string, parse: (value: string) => T): T {
  try {
    return parse(value);
  } catch (error) {
    throw toParseError(error, headerDisplayName(key, key));
  }
}

/** Parses every line of a list header (by lookup key), reporting a grammar violation as SIP_BAD_HEADER. */
export function parseHeaderLines<T>(
  key: string,
  values: readonly string[],
  parse: (values: readonly string[]) => T,
): T {
  try {
    return parse(values);
  } catch (error) {
    throw toParseError(error, headerDisplayName(key, key));
  }
}

/** A header (by lookup key) that may appear at most once: undefined when absent, SIP_BAD_HEADER when repeated. */
export function singleHeader<T>(
  headers: SipHeaders,
  key: string,
  parse: (value: string) => T,
): T | undefined {
  const cached = headers.cached(key);
  if (cached !== NOT_CACHED) return cached as T | undefined;
  const values = headers.getAll(key);
  if (values.length > 1)
    throw new SipParseError('SIP_BAD_HEADER', `multiple ${headerDisplayName(key, key)} headers`);
  return headers.cache(key, values.length === 0 ? undefined : parseHeaderLine(key, values[0], parse));
}

/** A list header by lookup key (several lines and/or comma lists): undefined when absent. */
export function listHeader<T>(
  headers: SipHeaders,
  key: string,
  parse: (values: readonly string[]) => T,
): T | undefined {
  const cached = headers.cached(key);
  if (cached !== NOT_CACHED) return cached as T | undefined;
  const values = headers.getAll(key);
  return headers.cache(key, values.length === 0 ? undefined : parseHeaderLines(key, values, parse));
}
