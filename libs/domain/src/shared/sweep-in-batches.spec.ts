import { sweepInBatches } from './sweep-in-batches';

describe('sweepInBatches', () => {
  it('runs batches until one comes back short and returns the total', async () => {
    const batches = [3, 3, 1];
    let calls = 0;
    const total = await sweepInBatches(3, async () => batches[calls++]!);
    expect(total).toBe(7);
    expect(calls).toBe(3);
  });

  it('runs one batch when there is nothing to sweep', async () => {
    let calls = 0;
    expect(await sweepInBatches(3, async () => (calls++, 0))).toBe(0);
    expect(calls).toBe(1);
  });
});
