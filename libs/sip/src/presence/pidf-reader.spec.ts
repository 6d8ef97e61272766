import { parsePidf, PidfError } from './pidf-reader';

/** The longest note the specs allow (Herald passes LIMITS.noteLength, also 256). */
const MAX_NOTE_LENGTH = 256;
const readPidf = (body: string) => parsePidf(body, MAX_NOTE_LENGTH);

const PIDF = 'urn:ietf:params:xml:ns:pidf';
const ENTITY = 'pres:alice@herald.example';

function tuple(basic: string, extra = ''): string {
  return `<tuple id="t-${basic}"><status><basic>${basic}</basic></status>${extra}</tuple>`;
}

function presence(inner: string, attributes = `xmlns="${PIDF}" entity="${ENTITY}"`): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<presence ${attributes}>${inner}</presence>`;
}

function reasonOf(body: string): string {
  try {
    readPidf(body);
  } catch (error) {
    if (error instanceof PidfError) return error.message;
    throw error;
  }
  throw new Error('parsed a body that should be refused');
}

describe('parsePidf', () => {
  it('reads the RFC 3863 example: entity, basic, note', () => {
    expect(readPidf(presence(`${tuple('open')}<note>at my desk</note>`))).toEqual({
      entity: ENTITY,
      basic: 'open',
      note: 'at my desk',
    });
  });

  it('resolves namespaces by URI, not by prefix', () => {
    const prefixed = `<p:presence xmlns:p="${PIDF}" entity="${ENTITY}"><p:tuple id="a"><p:status><p:basic>closed</p:basic></p:status></p:tuple></p:presence>`;
    expect(readPidf(prefixed)).toEqual({ entity: ENTITY, basic: 'closed' });
    // Same local names in another namespace are not PIDF.
    expect(
      reasonOf(`<presence xmlns="urn:example:other" entity="${ENTITY}">${tuple('open')}</presence>`),
    ).toBe('root is not a PIDF presence element');
    const foreignTuple = presence(
      `<x:tuple xmlns:x="urn:example:other" id="b"><x:status><x:basic>open</x:basic></x:status></x:tuple>${tuple('closed')}`,
    );
    expect(readPidf(foreignTuple).basic).toBe('closed');
  });

  it('is open when any tuple is open, closed when all are', () => {
    expect(readPidf(presence(tuple('closed') + tuple('open'))).basic).toBe('open');
    expect(readPidf(presence(tuple('closed') + tuple('closed'))).basic).toBe('closed');
    // A tuple whose status carries no basic (only extensions) does not count either way.
    expect(readPidf(presence(`<tuple id="x"><status/></tuple>${tuple('closed')}`)).basic).toBe('closed');
  });

  it('takes the presence note, else the first tuple note, else the RFC 4479 person note', () => {
    expect(readPidf(presence(`${tuple('open', '<note>tuple</note>')}<note>top</note>`)).note).toBe('top');
    expect(readPidf(presence(tuple('closed') + tuple('open', '<note> on the phone </note>'))).note).toBe(
      'on the phone',
    );
    const person = `<dm:person xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" id="p1"><dm:note>lunch</dm:note></dm:person>`;
    expect(readPidf(presence(person + tuple('open'))).note).toBe('lunch');
    expect(readPidf(presence(tuple('open'))).note).toBeUndefined();
  });

  it('decodes entities, character references, CDATA, and skips comments and processing instructions', () => {
    const body = presence(
      `<!-- a comment --><?app data?>${tuple('open')}<note>Tom &amp; Jerry &lt;3 &#x263A; &#65;<![CDATA[ <raw> & ]]></note>`,
      `xmlns='${PIDF}' entity='pres:alice@herald.example'`,
    );
    expect(readPidf(body).note).toBe('Tom & Jerry <3 \u263a A <raw> &');
  });

  it.each([
    ['not XML at all', 'hello', 'not well-formed XML: 1:5: text data outside of root node.'],
    [
      'an unclosed element',
      presence(tuple('open')).replace('</presence>', ''),
      'not well-formed XML: 2:144: unclosed tag: presence',
    ],
    [
      'mismatched tags',
      presence('<tuple id="a"><status><basic>open</status></basic></tuple>'),
      'not well-formed XML: 2:123: unexpected close tag.',
    ],
    [
      'an undeclared prefix',
      presence('<q:tuple/>'),
      'not well-formed XML: 2:91: unbound namespace prefix: "q".',
    ],
    [
      'a DTD',
      `<!DOCTYPE presence [<!ENTITY x "y">]>${presence(tuple('open'))}`,
      'not well-formed XML: DTDs are not accepted',
    ],
    [
      'an unknown entity',
      presence(`${tuple('open')}<note>&nbsp;</note>`),
      'not well-formed XML: 2:156: undefined entity.',
    ],
    [
      'a bare ampersand',
      presence(`${tuple('open')}<note>a & b</note>`),
      // saxes reads a bare & as the start of an entity reference up to the next ';' (here: none).
      'not well-formed XML: 2:173: unclosed tag: note',
    ],
    [
      'two roots',
      presence(tuple('open')) + `<presence xmlns="${PIDF}" entity="${ENTITY}"/>`,
      'not well-formed XML: 2:165: documents may contain only one root.',
    ],
    ['no entity', presence(tuple('open'), `xmlns="${PIDF}"`), 'presence has no entity'],
    ['no tuple', presence('<note>x</note>'), 'no tuple with a basic status'],
    ['a basic that is neither open nor closed', presence(tuple('busy')), 'basic is busy, not open or closed'],
    ['a tuple without status', presence('<tuple id="a"/>'), 'a tuple needs exactly one status'],
    [
      'a note over 256 characters',
      presence(`${tuple('open')}<note>${'n'.repeat(257)}</note>`),
      'note over 256 characters',
    ],
  ])('refuses %s with a reason', (_what, body, reason) => {
    expect(reasonOf(body)).toBe(reason);
  });
});
