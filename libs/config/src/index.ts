export * from './herald-config';
