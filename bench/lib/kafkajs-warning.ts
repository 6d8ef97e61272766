/** Where kafkajs schedules its request queue's throttle check (src/network/requestQueue/index.js). */
const KAFKAJS_REQUEST_QUEUE = /[/\\]kafkajs[/\\]src[/\\]network[/\\]requestQueue[/\\]/;

let installed = false;

/**
 * kafkajs 2.2.4 (its last release) schedules the throttle check of each broker connection at
 * `throttledUntil - Date.now()` while `throttledUntil` is still its initial -1: a delay of minus
 * the epoch time, which Node 24 runs after 1 ms and reports as `TimeoutNegativeWarning:
 * -1796572773786 is a negative number` (tulios/kafkajs#1751). The check itself is harmless; the
 * line on the bench's output looked like a bench bug. This drops exactly that warning (its stack
 * is in kafkajs's request queue) and hands every other warning to Node's own printer.
 */
export function dropKafkajsNegativeTimeoutWarning(): void {
  if (installed) return;
  installed = true;
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning' && KAFKAJS_REQUEST_QUEUE.test(warning.stack ?? '')) return;
    for (const print of printers) print(warning);
  });
}
