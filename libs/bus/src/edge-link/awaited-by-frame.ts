import { AsyncLocalStorage } from 'node:async_hooks';

/** Marks one publish awaited by the handling of a records frame, while it lasts. */
const awaitedPublish = new AsyncLocalStorage<{ active: boolean }>();

/**
 * Runs `publish`, one that the handling of an edge link records frame awaits (the edge's no-flow
 * outcome, or a repeated push's: the frame is not acked before the outcome is): EdgeLinkBus
 * sends its outcomes to Kafka, not over the link. Over the link their ack could wait on the
 * service's outcome handler, which may publish records to this edge and wait for them, queued
 * behind that very frame: a cycle broken only by the ack timeout. Outcomes published later (a
 * transaction's end) take the link.
 */
export async function awaitedByFrameHandling<T>(publish: () => Promise<T>): Promise<T> {
  const mark = { active: true };
  try {
    return await awaitedPublish.run(mark, publish);
  } finally {
    mark.active = false;
  }
}

/** True inside awaitedByFrameHandling's publish. */
export function insideAwaitedPublish(): boolean {
  return awaitedPublish.getStore()?.active === true;
}
