import { isDigits, isToken } from '../grammar/chars';
import { SipParseError } from './parse-error';

export type StartLine =
  | { readonly kind: 'request'; readonly method: string; readonly uri: string }
  | { readonly kind: 'response'; readonly status: number; readonly reason: string };

/** Set in an ASCII letter's code, it gives the lower-case letter. */
const LOWER_CASE_BIT = 0x20;
const LOWER_S = 0x73;
const LOWER_I = 0x69;
const LOWER_P = 0x70;
const SLASH = 0x2f;

const VERSION_SHAPE = /^SIP\/\d+\.\d+$/i;
/** The only version spoken, and the one nearly every message is written with. */
const SIP_2_0 = 'SIP/2.0';

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; only 2.0 is spoken (RFC 3261 §7.1, RFC 4475 §3.1.2.16). */
function checkVersion(version: string): void {
  if (version === SIP_2_0) return;
  if (!VERSION_SHAPE.test(version)) throw new SipParseError('SIP_BAD_START_LINE', 'bad SIP version');
  if (version.slice(4) !== '2.0')
    throw new SipParseError('SIP_BAD_VERSION', `unsupported version ${version}`);
}

/** Whether the line starts with "SIP/" in any case (a status line), read in place. */
function startsWithSipSlash(line: string): boolean {
  return (
    line.startsWith('SIP/') ||
    ((line.charCodeAt(0) | LOWER_CASE_BIT) === LOWER_S &&
      (line.charCodeAt(1) | LOWER_CASE_BIT) === LOWER_I &&
      (line.charCodeAt(2) | LOWER_CASE_BIT) === LOWER_P &&
      line.charCodeAt(3) === SLASH)
  );
}

/**
 * Request-Line = Method SP Request-URI SP SIP-Version (exactly one SP each, RFC 4475 §3.1.2.8-10);
 * Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2).
 */
export function parseStartLine(line: string): StartLine {
  if (startsWithSipSlash(line)) {
    const sp1 = line.indexOf(' ');
    if (sp1 === -1) throw new SipParseError('SIP_BAD_START_LINE', 'bad status line');
    checkVersion(line.slice(0, sp1));
    const sp2 = line.indexOf(' ', sp1 + 1);
    const code = sp2 === -1 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2);
    if (code.length !== 3 || !isDigits(code) || code < '100' || code > '699') {
      throw new SipParseError('SIP_BAD_STATUS_CODE', 'status code must be 100-699');
    }
    return { kind: 'response', status: Number(code), reason: sp2 === -1 ? '' : line.slice(sp2 + 1) };
  }
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 === -1 || line.indexOf(' ', sp2 + 1) !== -1 || sp2 === sp1 + 1) {
    throw new SipParseError('SIP_BAD_START_LINE', 'request line must be "METHOD URI SIP/2.0"');
  }
  const method = line.slice(0, sp1);
  if (!isToken(method)) throw new SipParseError('SIP_BAD_START_LINE', 'bad method');
  checkVersion(line.slice(sp2 + 1));
  return { kind: 'request', method, uri: line.slice(sp1 + 1, sp2) };
}
