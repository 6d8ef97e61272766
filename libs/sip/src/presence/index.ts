// SIP bodies of presence (RFC 3863 PIDF), read with a strict XML reader.
export * from './pidf-reader';
export * from './xml-reader';
