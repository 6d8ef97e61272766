/**
 * Runs `sweepBatch` (one transaction handling at most `batchSize` rows, returning how many it
 * handled) until a batch comes back short, i.e. nothing is left; returns the total. Sweeps stay in
 * short transactions however much there is to do.
 */
export async function sweepInBatches(batchSize: number, sweepBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const handled = await sweepBatch();
    total += handled;
    if (handled < batchSize) return total;
  }
}
