import { CsvError, parseCsv } from './csv';

describe('parseCsv', () => {
  it('splits records and fields, with quoted commas, quotes and line breaks, CRLF or LF', () => {
    const text = 'username,password\r\nalice,"a,b"\n\n"bob","say ""hi""\nthere"\ncarol,\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['username', 'password'] },
      { line: 2, fields: ['alice', 'a,b'] },
      { line: 4, fields: ['bob', 'say "hi"\nthere'] },
      { line: 6, fields: ['carol', ''] },
    ]);
  });

  it('reads a last record without a line break and refuses an unclosed quote', () => {
    expect(parseCsv('a,b')).toEqual([{ line: 1, fields: ['a', 'b'] }]);
    expect(() => parseCsv('a\n"b,c\n')).toThrow(CsvError);
    expect(() => parseCsv('a\n"b,c\n')).toThrow(/line 2/);
  });
});
