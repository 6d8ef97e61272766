// SIP bodies of presence (RFC 3863 PIDF): read with a strict XML reader, written for NOTIFYs.
export * from './pidf';
export * from './pidf-reader';
export * from './pidf-writer';
export * from './xml-reader';
