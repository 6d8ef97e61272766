/**
 * Herald offers two digest challenges, SHA-256 and MD5, in a configurable order (protocol.md §2),
 * and a client answers the first one it supports. SIP.js keeps only the LAST WWW-Authenticate
 * header of a response and speaks only MD5, so it authenticates only when MD5 comes last: this
 * moves the MD5 challenges of a raw 401 after the others (whatever order Herald was configured
 * with). Any other message is returned as is.
 */
export function md5ChallengeLast(rawMessage: string): string {
  if (!rawMessage.startsWith('SIP/2.0 401')) return rawMessage;
  const headEnd = rawMessage.indexOf('\r\n\r\n');
  const head = headEnd === -1 ? rawMessage : rawMessage.slice(0, headEnd);
  const rest = headEnd === -1 ? '' : rawMessage.slice(headEnd);
  const lines = head.split('\r\n');
  const isChallenge = (line: string): boolean => /^www-authenticate\s*:/i.test(line);
  const isMd5 = (line: string): boolean => /algorithm\s*=\s*"?md5"?\s*(,|$)/i.test(line);
  const first = lines.findIndex(isChallenge);
  if (first === -1) return rawMessage;
  const challenges = lines.filter(isChallenge);
  const reordered = [...challenges.filter((line) => !isMd5(line)), ...challenges.filter(isMd5)];
  const others = lines.filter((line) => !isChallenge(line));
  others.splice(first, 0, ...reordered);
  return others.join('\r\n') + rest;
}
