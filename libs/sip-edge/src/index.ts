// The SIP edge as a Nest module, for apps/sip-edge (standalone, on Kafka) and apps/herald (embedded).
export {
  DEFAULT_EXPIRES_SECONDS,
  SIP_EDGE_CONFIG_KEYS,
  type SipEdgeConfig,
  type SipEdgePorts,
  sipEdgeConfigFrom,
} from './edge-config';
export { probesWithEdgeReadiness } from './edge-readiness';
export type { FlowBinding } from './flows/flow-registry';
export {
  type BoundAddresses,
  drainBudgetMs,
  type EdgeLinkListen,
  edgeLinkListenOf,
  SipEdge,
  type SipEdgeDeps,
} from './sip-edge';
export { SIP_EDGE, SipEdgeModule } from './sip-edge.module';
