export * from './message';
export * from './ports';
export * from './im-error';
export * from './im-router';
