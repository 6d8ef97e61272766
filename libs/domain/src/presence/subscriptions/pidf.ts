import type { VisibleStatus } from '#herald/contracts';

/** RFC 3863 §4.1.2: the id of Herald's one tuple (the aggregate of all the user's devices). */
const TUPLE_ID = 'herald';

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** XML 1.0 §2.2 Char: tab, LF, CR, and from U+0020 on, except U+FFFE and U+FFFF. */
function isXmlChar(c: string): boolean {
  const code = c.codePointAt(0) ?? 0;
  return (
    code === 0x09 || code === 0x0a || code === 0x0d || (code >= 0x20 && code !== 0xfffe && code !== 0xffff)
  );
}

/**
 * Text and attribute values escaped for XML 1.0 (§2.4 / §3.1); characters XML 1.0 cannot carry at
 * all (C0 controls other than tab, CR, LF) are dropped, since no escape makes them legal.
 */
export function escapeXml(text: string): string {
  return [...text]
    .filter(isXmlChar)
    .join('')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/**
 * The PIDF document of one presentity (RFC 3863 §4): entity the AOR, one tuple whose basic status
 * is `open` for every visible status but offline (RFC 3856 §6.8: open means reachable for IM), and
 * the note when there is one. Away and busy keep `open`: the note says more.
 */
export function pidfDocument(entity: string, presence: { status: VisibleStatus; note?: string }): string {
  const basic = presence.status === 'offline' ? 'closed' : 'open';
  const note = presence.note === undefined ? '' : `<note>${escapeXml(presence.note)}</note>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${escapeXml(entity)}">` +
    `<tuple id="${TUPLE_ID}"><status><basic>${basic}</basic></status>${note}</tuple>` +
    '</presence>\n'
  );
}
