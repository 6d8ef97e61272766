import { preparedFor, preparedStatement } from './prepared-statement';

describe('preparedFor', () => {
  const statement = preparedStatement('SELECT 1 FROM messages WHERE id = $1');

  it('prepares the statement as it is for its first hundred executions on a connection', () => {
    expect(preparedFor(statement, 0)).toBe(statement);
    expect(preparedFor(statement, 99)).toBe(statement);
  });

  it('prepares it anew, under a new name and text, at 100, 400, 1,600, 6,400 and 25,600 executions only', () => {
    const prepared = [100, 399, 400, 1_599, 1_600, 6_400, 25_599, 25_600, 10_000_000].map((executions) =>
      preparedFor(statement, executions),
    );
    expect(prepared.map((p) => p.name)).toEqual(
      ['1', '1', '2', '2', '3', '4', '4', '5', '5'].map((generation) => `${statement.name}_${generation}`),
    );
    expect(new Set(prepared.map((p) => p.text)).size).toBe(5);
    expect(preparedFor(statement, 400)).toBe(preparedFor(statement, 1_000));
    for (const { text } of prepared) {
      expect(text.startsWith(statement.text)).toBe(true);
    }
  });
});
