export * from './chars';
export * from './grammar-error';
export * from './host';
export * from './name-addr';
export * from './params';
export * from './quoted-string';
export * from './uri';
