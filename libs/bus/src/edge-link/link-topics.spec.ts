import { routeOverLink } from './link-topics';

describe('routeOverLink', () => {
  const destinationOf = (topic: string) => (topic.startsWith('to.') ? topic.slice(3) : undefined);

  it('groups the records the link takes per destination in publish order, and sends the rest inside', () => {
    const records = [
      { topic: 'to.a', n: 1 },
      { topic: 'other', n: 2 },
      { topic: 'to.b', n: 3 },
      { topic: 'to.a', n: 4 },
      { topic: 'to.held', n: 5 },
    ];
    const route = routeOverLink(records, destinationOf, (destination) => destination !== 'held');
    expect([...route.linked!].map(([destination, linked]) => [destination, linked.map((r) => r.n)])).toEqual([
      ['a', [1, 4]],
      ['b', [3]],
    ]);
    expect(route.toInner.map((r) => r.n)).toEqual([2, 5]);
    expect(route.untaken).toBe(1);
  });

  it('links nothing when no record is addressed over the link', () => {
    const route = routeOverLink([{ topic: 'other' }], destinationOf, () => true);
    expect(route).toEqual({ linked: undefined, toInner: [{ topic: 'other' }], untaken: 0 });
  });
});
