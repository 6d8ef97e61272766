import type { DynamicModule } from '@nestjs/common';
import type { DependencyProbe, HealthProbesFactory } from '#herald/observability';
import type { SipEdge } from './sip-edge';
import { SIP_EDGE } from './sip-edge.module';

export type EdgeNotReadyCode = 'EDGE_DRAINING' | 'EDGE_NOT_LISTENING';

export class EdgeNotReadyError extends Error {
  constructor(
    readonly code: EdgeNotReadyCode,
    message: string,
  ) {
    super(`${code} ${message}`);
    this.name = 'EdgeNotReadyError';
  }
}

/**
 * Readiness of the edge itself (`sip-edge` in /health/ready): it takes SIP traffic while it
 * listens and is not draining; from SIGTERM on it fails, so Kubernetes stops routing to the pod.
 */
export function sipEdgeProbe(edge: Pick<SipEdge, 'listening' | 'draining'>): DependencyProbe {
  return {
    name: 'sip-edge',
    check: async () => {
      if (edge.draining) {
        throw new EdgeNotReadyError('EDGE_DRAINING', 'the edge is draining before it stops');
      }
      if (!edge.listening) {
        throw new EdgeNotReadyError('EDGE_NOT_LISTENING', 'the edge is not listening');
      }
    },
  };
}

/**
 * The health probes of an app whose module `withEdge` exports the edge (SIP_EDGE): `others` plus
 * the edge's own readiness, for OperationsModule.around.
 */
export function probesWithEdgeReadiness(
  withEdge: DynamicModule,
  others: ReadonlyArray<DependencyProbe>,
): HealthProbesFactory {
  return {
    imports: [withEdge],
    inject: [SIP_EDGE],
    useFactory: (edge: SipEdge) => [...others, sipEdgeProbe(edge)],
  };
}
