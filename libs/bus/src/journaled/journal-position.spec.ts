import { JournalPosition, NOT_JOURNALED } from './journal-position';

describe('JournalPosition', () => {
  it('tells a known id at once', () => {
    const told: bigint[] = [];
    new JournalPosition(7n).whenKnown((id) => told.push(id));
    expect(told).toEqual([7n]);
  });

  it('tells everyone who waited once the INSERT returns, in the order they asked, and only once', () => {
    const position = new JournalPosition(undefined);
    const told: string[] = [];
    position.whenKnown((id) => told.push(`first ${id}`));
    position.whenKnown((id) => told.push(`second ${id}`));
    expect(position.id).toBeUndefined();
    expect(told).toEqual([]);

    position.settle(3n);
    position.whenKnown((id) => told.push(`after ${id}`));

    expect(position.id).toBe(3n);
    expect(told).toEqual(['first 3', 'second 3', 'after 3']);
  });

  it('tells NOT_JOURNALED when the INSERT failed', () => {
    const position = new JournalPosition(undefined);
    const told: bigint[] = [];
    position.whenKnown((id) => told.push(id));
    position.settle(NOT_JOURNALED);
    expect(told).toEqual([NOT_JOURNALED]);
  });
});
