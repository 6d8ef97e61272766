// The message parser imports these files directly, not this index: compiled to CommonJS, each
// re-export is a getter, called on every use in the parser's per-character loops.
export * from './chars';
export * from './grammar-error';
export * from './host';
export * from './name-addr';
export * from './params';
export * from './quoted-string';
export * from './uri';
