import { parsePidf } from './pidf-reader';
import { escapeXml, writePidf } from './pidf-writer';

const BOB = 'sip:bob@herald.example';

describe('PIDF writer (RFC 3863)', () => {
  it('has the entity, one tuple with the basic status, and no note when there is none', () => {
    expect(writePidf({ entity: BOB, basic: 'open' })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@herald.example">' +
        '<tuple id="herald"><status><basic>open</basic></status></tuple></presence>\n',
    );
    expect(writePidf({ entity: BOB, basic: 'closed' })).toContain('<basic>closed</basic>');
  });

  it('carries the note inside the tuple, XML-escaped', () => {
    const document = writePidf({ entity: BOB, basic: 'open', note: `<b>"Tom" & 'Jerry'</b>` });
    expect(document).toContain(
      '<basic>open</basic></status><note>&lt;b&gt;&quot;Tom&quot; &amp; &apos;Jerry&apos;&lt;/b&gt;</note></tuple>',
    );
  });

  it('escapes the entity and drops characters XML 1.0 cannot carry', () => {
    expect(escapeXml('a\u0000b\u0007c\td\ne')).toBe('abc\td\ne');
    expect(writePidf({ entity: 'sip:o"neil@herald.example', basic: 'open' })).toContain(
      'entity="sip:o&quot;neil@herald.example"',
    );
  });

  it.each([
    { entity: BOB, basic: 'open' },
    { entity: BOB, basic: 'closed', note: `at <lunch> & "back" at 2` },
  ] as const)('writes what the reader reads back: %j', (document) => {
    expect(parsePidf(writePidf(document), 256)).toEqual(document);
  });
});
