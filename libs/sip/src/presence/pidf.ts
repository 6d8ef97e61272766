/** The media type of a PIDF document (RFC 3863 §4.1): PUBLISH bodies and NOTIFY bodies. */
export const PIDF_CONTENT_TYPE = 'application/pidf+xml';

/** RFC 3863 §4.1: the namespace of PIDF's presence, tuple, status, basic and note elements. */
export const PIDF_NAMESPACE = 'urn:ietf:params:xml:ns:pidf';

/** What Herald reads from and writes into a PIDF document: one presentity, open or closed, a note. */
export interface PidfDocument {
  /** RFC 3863 §4.1.4: `open` when the presentity can be reached, else `closed`. */
  basic: 'open' | 'closed';
  note?: string;
  /** The presentity (`pres:` or `sip:` URI) the document is about. */
  entity: string;
}
