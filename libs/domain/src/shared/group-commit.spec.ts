import { GroupCommit, type FlushedGroup } from './group-commit';

/** A flush that records each group and completes only when released. */
class GatedFlush {
  readonly groups: number[][] = [];
  private releases: Array<() => void> = [];
  failing = new Set<number>();

  readonly flush = async (items: ReadonlyArray<number>): Promise<FlushedGroup<string>> => {
    this.groups.push([...items]);
    await new Promise<void>((resolve) => this.releases.push(resolve));
    const poison = items.find((item) => this.failing.has(item));
    if (poison !== undefined) throw new Error(`poison ${poison}`);
    return { results: items.map((item) => `done ${item}`) };
  };

  /** Resolves once `count` groups have been handed to the flush. */
  async started(count: number): Promise<void> {
    while (this.groups.length < count) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Releases flushes until `count` have been released, waiting for each to be called. */
  async release(count: number): Promise<void> {
    for (let released = 0; released < count; released += 1) {
      while (this.releases.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      this.releases.shift()!();
    }
  }
}

/** A flush that commits at once and whose publishes complete only when released, in order. */
class GatedPublish {
  readonly groups: number[][] = [];
  /** Events in the order they happened: `flush 1,2`, `publish 1,2 started`, `published 1,2`. */
  readonly events: string[] = [];
  private releases: Array<() => void> = [];
  failing = new Set<number>();

  readonly flush = async (items: ReadonlyArray<number>): Promise<FlushedGroup<string>> => {
    const name = items.join(',');
    this.groups.push([...items]);
    this.events.push(`flush ${name}`);
    return {
      results: items.map((item) => `done ${item}`),
      publish: async () => {
        this.events.push(`publish ${name} started`);
        await new Promise<void>((resolve) => this.releases.push(resolve));
        const poison = items.find((item) => this.failing.has(item));
        if (poison !== undefined) throw new Error(`poison ${poison}`);
        this.events.push(`published ${name}`);
      },
    };
  };

  /** Resolves once `count` publishes are waiting to be released. */
  async publishing(count: number): Promise<void> {
    while (this.releases.length < count) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Releases the oldest publish waiting. */
  release(): void {
    this.releases.shift()!();
  }
}

describe('GroupCommit', () => {
  it('flushes a lone item at once, as a group of one', async () => {
    const gate = new GatedFlush();
    const commits = new GroupCommit(gate.flush);
    const result = commits.submit(1);
    await gate.release(1);
    await expect(result).resolves.toBe('done 1');
    expect(gate.groups).toEqual([[1]]);
  });

  it('groups every item submitted in the same event-loop turn, results in order', async () => {
    const gate = new GatedFlush();
    const commits = new GroupCommit(gate.flush);
    const results = [1, 2, 3].map((item) => commits.submit(item));
    await gate.release(1);
    await expect(Promise.all(results)).resolves.toEqual(['done 1', 'done 2', 'done 3']);
    expect(gate.groups).toEqual([[1, 2, 3]]);
  });

  it('groups every item submitted while a group is being flushed, results in order', async () => {
    const gate = new GatedFlush();
    const commits = new GroupCommit(gate.flush);
    const first = commits.submit(1);
    await gate.started(1);
    const rest = [2, 3, 4].map((item) => commits.submit(item));
    await gate.release(2);
    await expect(first).resolves.toBe('done 1');
    await expect(Promise.all(rest)).resolves.toEqual(['done 2', 'done 3', 'done 4']);
    expect(gate.groups).toEqual([[1], [2, 3, 4]]);
  });

  it("puts a key's next item, submitted a few promise hops after its own resolved, into the very next group", async () => {
    const gate = new GatedFlush();
    const commits = new GroupCommit(gate.flush);
    // As the bus does: a key's next record goes to the handler once the previous one's handler
    // resolved, through a few promise hops (pipeline, retries, tracing).
    const nextOfKey = commits.submit(1).then(async () => {
      await Promise.resolve();
      await Promise.resolve();
      return commits.submit(11);
    });
    await gate.started(1);
    const other = commits.submit(2);
    await gate.release(1);
    await gate.started(2);
    await gate.release(1);
    await Promise.all([nextOfKey, other]);
    expect(gate.groups).toEqual([[1], [2, 11]]);
  });

  it('caps a group at maxGroupItems, the rest going into the next group', async () => {
    const gate = new GatedFlush();
    const commits = new GroupCommit(gate.flush, { maxGroupItems: 2 });
    const results = [1, 2, 3, 4, 5].map((item) => commits.submit(item));
    await gate.release(3);
    await Promise.all(results);
    // The first group takes the first two items of the turn; the rest waits for the next groups.
    expect(gate.groups).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('flushes a failed group again item by item, so only the poison item fails', async () => {
    const gate = new GatedFlush();
    gate.failing.add(3);
    const commits = new GroupCommit(gate.flush);
    const first = commits.submit(1);
    await gate.started(1);
    const grouped = Promise.allSettled([2, 3, 4].map((item) => commits.submit(item)));
    // [1], then [2, 3, 4] fails, then [2], [3] (fails), [4].
    await gate.release(5);
    await expect(first).resolves.toBe('done 1');
    const [two, three, four] = await grouped;
    expect(two).toEqual({ status: 'fulfilled', value: 'done 2' });
    expect(three).toEqual({ status: 'rejected', reason: new Error('poison 3') });
    expect(four).toEqual({ status: 'fulfilled', value: 'done 4' });
    expect(gate.groups).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('rejects an item whose flush returns the wrong number of results', async () => {
    const wrong = new GroupCommit<number, string>(async () => ({ results: [] }));
    await expect(wrong.submit(1)).rejects.toThrow('a group of 1 items returned 0 results');
  });

  it('is idle once every submitted item has settled', async () => {
    const gate = new GatedFlush();
    const commits = new GroupCommit(gate.flush);
    const settled: string[] = [];
    void commits.submit(1).then((result) => settled.push(result));
    const idle = commits.idle();
    await gate.release(1);
    await idle;
    expect(settled).toEqual(['done 1']);
  });

  it("starts the next group once the previous group's publish is done, not at its commit", async () => {
    const gate = new GatedPublish();
    const commits = new GroupCommit(gate.flush);
    const settled: string[] = [];
    const first = commits.submit(1).then((result) => settled.push(result));
    await gate.publishing(1);
    const second = commits.submit(2).then((result) => settled.push(result));
    // Committed but not yet published: the second group waits.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(gate.events).toEqual(['flush 1', 'publish 1 started']);
    gate.release();
    await first;
    await gate.publishing(1);
    expect(settled).toEqual(['done 1']);
    gate.release();
    await second;
    expect(gate.events).toEqual([
      'flush 1',
      'publish 1 started',
      'published 1',
      'flush 2',
      'publish 2 started',
      'published 2',
    ]);
    expect(settled).toEqual(['done 1', 'done 2']);
  });

  it('resolves no item before its own publish, and is idle only after the last one', async () => {
    const gate = new GatedPublish();
    const commits = new GroupCommit(gate.flush);
    let resolved = false;
    void commits.submit(1).then(() => (resolved = true));
    await gate.publishing(1);
    let idle = false;
    const idling = commits.idle().then(() => (idle = true));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect([resolved, idle]).toEqual([false, false]);
    gate.release();
    await idling;
    expect([resolved, idle]).toEqual([true, true]);
  });

  it('flushes the items of a group whose publish failed again one at a time', async () => {
    const gate = new GatedPublish();
    gate.failing.add(2);
    const commits = new GroupCommit(gate.flush);
    const grouped = Promise.allSettled([1, 2, 3].map((item) => commits.submit(item)));
    await gate.publishing(1);
    gate.release();
    // [1, 2, 3] published and failed; then each alone: 1, 2 (fails again), 3.
    for (let alone = 0; alone < 3; alone += 1) {
      await gate.publishing(1);
      gate.release();
    }
    const [one, two, three] = await grouped;
    expect(one).toEqual({ status: 'fulfilled', value: 'done 1' });
    expect(two).toEqual({ status: 'rejected', reason: new Error('poison 2') });
    expect(three).toEqual({ status: 'fulfilled', value: 'done 3' });
    expect(gate.groups).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it("tells its observer each committed group's size and how long its transaction and publish took", async () => {
    const gate = new GatedPublish();
    const seen: string[] = [];
    const commits = new GroupCommit(gate.flush, {
      observe: {
        transaction: (items, ms) => seen.push(`transaction ${items} ${ms >= 0}`),
        published: (ms) => seen.push(`published ${ms >= 0}`),
      },
    });
    const results = Promise.all([1, 2, 3].map((item) => commits.submit(item)));
    await gate.publishing(1);
    expect(seen).toEqual(['transaction 3 true']);
    gate.release();
    await results;
    expect(seen).toEqual(['transaction 3 true', 'published true']);
  });

  describe('deferrable items (odd numbers here)', () => {
    const odd = (item: number): boolean => item % 2 === 1;

    it('holds a group of deferrable items alone until an item that may not wait comes, then takes them together', async () => {
      const gate = new GatedFlush();
      // A wait no test outlives: only the other item can end it.
      const commits = new GroupCommit(gate.flush, { deferrable: odd, deferMs: 60_000 });
      const deferred = [1, 3].map((item) => commits.submit(item));
      for (let turn = 0; turn < 5; turn += 1) await new Promise<void>((resolve) => setImmediate(resolve));
      expect(gate.groups).toEqual([]);
      const urgent = commits.submit(2);
      await gate.release(1);
      await expect(Promise.all([...deferred, urgent])).resolves.toEqual(['done 1', 'done 3', 'done 2']);
      expect(gate.groups).toEqual([[1, 3, 2]]);
    });

    it('starts a group of deferrable items alone once deferMs passed', async () => {
      const gate = new GatedFlush();
      const commits = new GroupCommit(gate.flush, { deferrable: odd, deferMs: 20 });
      const submittedAt = performance.now();
      const result = commits.submit(1);
      await gate.started(1);
      // Timers may fire a little early on some clocks: the wait is bounded below by most of deferMs.
      expect(performance.now() - submittedAt).toBeGreaterThanOrEqual(15);
      await gate.release(1);
      await expect(result).resolves.toBe('done 1');
      expect(gate.groups).toEqual([[1]]);
    });

    it('never holds an item that may not wait, nor a group with one in it', async () => {
      const gate = new GatedFlush();
      const commits = new GroupCommit(gate.flush, { deferrable: odd, deferMs: 60_000 });
      const results = [1, 2].map((item) => commits.submit(item));
      await gate.started(1);
      await gate.release(1);
      await expect(Promise.all(results)).resolves.toEqual(['done 1', 'done 2']);
      expect(gate.groups).toEqual([[1, 2]]);
    });
  });

  it('refuses a group size below one', () => {
    expect(() => new GroupCommit(async () => ({ results: [] }), { maxGroupItems: 0 })).toThrow(RangeError);
  });
});
