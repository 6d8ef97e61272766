import type { BusRecord, ConsumedRecord } from '../event-bus';
import type { EdgeLinkEndpoint } from './edge-link-directory';

export interface EdgeLinkServerOptions {
  host: string;
  /** 0 = an ephemeral port (start() returns the bound one). */
  port: number;
  /** When set, a hello must carry it (compared timing-safe). */
  token?: string;
  /**
   * Handles one frame's records in order; resolves with how many were handled (all, or fewer when
   * one threw: the frame is acknowledged up to there and the rest is refused).
   */
  onRecords: (records: readonly ConsumedRecord[]) => Promise<number>;
}

/** The edge's side of the edge link (stub: the API is agreed, the body lands next). */
export class EdgeLinkServer {
  constructor(readonly options: EdgeLinkServerOptions) {}

  start(): Promise<EdgeLinkEndpoint> {
    throw new Error('EdgeLinkServer: not implemented yet');
  }

  stop(): Promise<void> {
    throw new Error('EdgeLinkServer: not implemented yet');
  }

  /** Sends records to a connection of `origin`; resolves with how many it handled (0 when none). */
  sendToOrigin(origin: string, records: ReadonlyArray<BusRecord>): Promise<number> {
    throw new Error(`EdgeLinkServer.sendToOrigin(${origin}, ${records.length}): not implemented yet`);
  }
}
