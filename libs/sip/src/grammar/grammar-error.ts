/** A syntax rule of RFC 3261 §25 was broken; the message layer turns it into a SipParseError. */
export class GrammarError extends Error {
  readonly code = 'SIP_GRAMMAR';

  constructor(reason: string) {
    super(reason);
    this.name = 'GrammarError';
  }
}
