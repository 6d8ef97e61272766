import { preparedName, preparedStatement } from './prepared-statement';

describe('preparedName', () => {
  const statement = preparedStatement('SELECT 1 FROM messages WHERE id = $1');

  it('keeps the statement its own name for its first hundred executions on a connection', () => {
    expect(preparedName(statement, 0)).toBe(statement.name);
    expect(preparedName(statement, 99)).toBe(statement.name);
  });

  it('names it anew each time its executions double from a hundred', () => {
    expect(
      [100, 199, 200, 399, 400, 799, 800, 1_600, 102_400].map((executions) =>
        preparedName(statement, executions),
      ),
    ).toEqual(
      ['1', '1', '2', '2', '3', '3', '4', '5', '11'].map((generation) => `${statement.name}_${generation}`),
    );
  });
});
