import { PIDF_CONTENT_TYPE, PIDF_NAMESPACE, type PidfDocument } from './pidf';

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
 * The PIDF document of one presentity (RFC 3863 §4): the entity, one tuple with the basic status,
 * and the note when there is one.
 */
export function writePidf(document: PidfDocument): string {
  const note = document.note === undefined ? '' : `<note>${escapeXml(document.note)}</note>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<presence xmlns="${PIDF_NAMESPACE}" entity="${escapeXml(document.entity)}">` +
    `<tuple id="${TUPLE_ID}"><status><basic>${document.basic}</basic></status>${note}</tuple>` +
    '</presence>\n'
  );
}

/** PIDF as the body format of NOTIFYs: what the presence service wires into the domain's port. */
export const PIDF_WRITER = { contentType: PIDF_CONTENT_TYPE, write: writePidf } as const;
