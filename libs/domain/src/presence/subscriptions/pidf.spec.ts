import { escapeXml, pidfDocument } from './pidf';

const BOB = 'sip:bob@herald.example';

describe('PIDF (RFC 3863)', () => {
  it('has the AOR as entity, one tuple, basic open for online, and no note when there is none', () => {
    expect(pidfDocument(BOB, { status: 'online' })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@herald.example">' +
        '<tuple id="herald"><status><basic>open</basic></status></tuple></presence>\n',
    );
  });

  it.each([
    ['online', 'open'],
    ['away', 'open'],
    ['busy', 'open'],
    ['offline', 'closed'],
  ] as const)('shows %s as basic %s', (status, basic) => {
    expect(pidfDocument(BOB, { status })).toContain(`<basic>${basic}</basic>`);
  });

  it('carries the note inside the tuple, XML-escaped', () => {
    const document = pidfDocument(BOB, { status: 'busy', note: `<b>"Tom" & 'Jerry'</b>` });
    expect(document).toContain(
      '<basic>open</basic></status><note>&lt;b&gt;&quot;Tom&quot; &amp; &apos;Jerry&apos;&lt;/b&gt;</note></tuple>',
    );
  });

  it('escapes the entity and drops characters XML 1.0 cannot carry', () => {
    expect(escapeXml('a\u0000b\u0007c\td\ne')).toBe('abc\td\ne');
    expect(pidfDocument('sip:o"neil@herald.example', { status: 'online' })).toContain(
      'entity="sip:o&quot;neil@herald.example"',
    );
  });
});
