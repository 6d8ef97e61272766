import type { BusRecord, ConsumedRecord } from '../event-bus';
import type { EdgeLinkDirectory } from './edge-link-directory';

export interface EdgeLinkClientOptions {
  /** The service's origin name: the edges send it the outcomes of `sip.push-outcome.<origin>.v1`. */
  origin: string;
  directory: EdgeLinkDirectory;
  token?: string;
}

/** Handles the records of one outcome frame; resolves with how many were handled from the first. */
export type OutcomeFrameHandler = (records: readonly ConsumedRecord[]) => Promise<number>;

/** The service's side of the edge link (stub: the API is agreed, the body lands next). */
export class EdgeLinkClient {
  constructor(readonly options: EdgeLinkClientOptions) {}

  /** Whether a send to `edgeId` may use the link now (it has an address and no fallback hold runs). */
  linkable(edgeId: string): boolean {
    throw new Error(`EdgeLinkClient.linkable(${edgeId}): not implemented yet`);
  }

  /** Sends records in one frame; resolves with how many the edge handled (0: not connected, failed, no ack in time). */
  send(edgeId: string, records: ReadonlyArray<BusRecord>): Promise<number> {
    throw new Error(`EdgeLinkClient.send(${edgeId}, ${records.length}): not implemented yet`);
  }

  /** Sets (or with undefined, clears) the handler of outcome frames the edges send. */
  handleOutcomes(handler: OutcomeFrameHandler | undefined): void {
    throw new Error(`EdgeLinkClient.handleOutcomes(${handler === undefined}): not implemented yet`);
  }

  close(): Promise<void> {
    throw new Error('EdgeLinkClient: not implemented yet');
  }
}
