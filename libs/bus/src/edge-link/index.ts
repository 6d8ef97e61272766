export * from './edge-link-directory';
export * from './edge-link-server';
export * from './edge-link-client';
export * from './service-link-bus';
export * from './edge-link-outcome-bus';
export * from './link-timing';
export { EdgeLinkFrameError, EDGE_LINK_MAX_FRAME_BYTES, EDGE_LINK_MAX_RECORDS_PER_FRAME } from './link-frame';
