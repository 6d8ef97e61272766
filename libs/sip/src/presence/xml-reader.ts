/**
 * A small, strict XML 1.0 reader for SIP bodies such as PIDF (RFC 3863): elements, attributes,
 * text, comments, CDATA, processing instructions, the five predefined entities and character
 * references, with namespaces resolved. No DTDs (a PIDF body never needs one; refusing them also
 * rules out entity expansion attacks).
 */

export class XmlError extends Error {
  readonly code = 'XML_MALFORMED';
}

export interface XmlElement {
  /** Namespace URI ('' when none). */
  namespace: string;
  localName: string;
  /** Attributes by local name (unprefixed and prefixed alike; PIDF has no clashing ones). */
  attributes: ReadonlyMap<string, string>;
  children: XmlElement[];
  /** The element's own text (character data directly inside it), entity references resolved. */
  text: string;
}

const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string): string {
  return raw.replace(/&([^;&\s]*);|&/g, (whole, name: string | undefined) => {
    if (name === undefined) throw new XmlError('unescaped & in text');
    const predefined = PREDEFINED[name];
    if (predefined !== undefined) return predefined;
    const reference = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(name);
    if (reference === null) throw new XmlError(`unknown entity ${whole}`);
    const code = reference[1] === undefined ? Number(reference[2]) : parseInt(reference[1], 16);
    if (code === 0 || code > 0x10ffff) throw new XmlError(`invalid character reference ${whole}`);
    return String.fromCodePoint(code);
  });
}

interface OpenElement {
  qname: string;
  element: XmlElement;
  namespaces: Map<string, string>;
}

class XmlReader {
  private position = 0;
  private readonly stack: OpenElement[] = [];
  private root: XmlElement | undefined;

  constructor(private readonly source: string) {}

  read(): XmlElement {
    const { source } = this;
    while (this.position < source.length) {
      const next = source.indexOf('<', this.position);
      const end = next === -1 ? source.length : next;
      this.text(source.slice(this.position, end));
      if (next === -1) break;
      this.position = next;
      this.markup();
    }
    if (this.stack.length > 0)
      throw new XmlError(`<${this.stack[this.stack.length - 1].qname}> is not closed`);
    if (this.root === undefined) throw new XmlError('no root element');
    return this.root;
  }

  private text(raw: string): void {
    if (raw.length === 0) return;
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) {
      if (raw.trim().length > 0) throw new XmlError('text outside the root element');
      return;
    }
    top.element.text += decodeEntities(raw);
  }

  private markup(): void {
    const { source } = this;
    if (source.startsWith('<!--', this.position)) return this.skipPast('-->', 'comment');
    if (source.startsWith('<?', this.position)) return this.skipPast('?>', 'processing instruction');
    if (source.startsWith('<![CDATA[', this.position)) {
      const end = source.indexOf(']]>', this.position);
      if (end === -1) throw new XmlError('unterminated CDATA section');
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) throw new XmlError('CDATA outside the root element');
      top.element.text += source.slice(this.position + 9, end);
      this.position = end + 3;
      return;
    }
    if (source.startsWith('<!', this.position)) throw new XmlError('DTDs are not accepted');
    if (source.startsWith('</', this.position)) return this.closeTag();
    this.openTag();
  }

  private skipPast(terminator: string, what: string): void {
    const end = this.source.indexOf(terminator, this.position);
    if (end === -1) throw new XmlError(`unterminated ${what}`);
    this.position = end + terminator.length;
  }

  private openTag(): void {
    this.position += 1;
    const qname = this.name('element name');
    const rawAttributes: Array<[string, string]> = [];
    for (;;) {
      const hadSpace = this.skipSpace();
      if (this.source.startsWith('/>', this.position) || this.source.startsWith('>', this.position)) break;
      if (!hadSpace) throw new XmlError(`expected whitespace in <${qname}>`);
      const attribute = this.name('attribute name');
      this.skipSpace();
      if (this.source[this.position] !== '=') throw new XmlError(`attribute ${attribute} has no value`);
      this.position += 1;
      this.skipSpace();
      const quote = this.source[this.position];
      if (quote !== '"' && quote !== "'") throw new XmlError(`attribute ${attribute} is not quoted`);
      const end = this.source.indexOf(quote, this.position + 1);
      if (end === -1) throw new XmlError(`attribute ${attribute} is not closed`);
      const value = this.source.slice(this.position + 1, end);
      if (value.includes('<')) throw new XmlError(`< in attribute ${attribute}`);
      if (rawAttributes.some(([name]) => name === attribute))
        throw new XmlError(`duplicate attribute ${attribute}`);
      rawAttributes.push([attribute, decodeEntities(value)]);
      this.position = end + 1;
    }
    const selfClosing = this.source.startsWith('/>', this.position);
    this.position += selfClosing ? 2 : 1;
    const open = this.resolve(qname, rawAttributes);
    const parent = this.stack[this.stack.length - 1];
    if (parent === undefined) {
      if (this.root !== undefined) throw new XmlError('more than one root element');
      this.root = open.element;
    } else {
      parent.element.children.push(open.element);
    }
    if (!selfClosing) this.stack.push(open);
  }

  private closeTag(): void {
    this.position += 2;
    const qname = this.name('closing tag name');
    this.skipSpace();
    if (this.source[this.position] !== '>') throw new XmlError(`</${qname} is not closed`);
    this.position += 1;
    const open = this.stack.pop();
    if (open?.qname !== qname) throw new XmlError(`</${qname}> does not close <${open?.qname ?? ''}>`);
  }

  /** Namespace declarations of this element apply to itself and its descendants. */
  private resolve(qname: string, rawAttributes: Array<[string, string]>): OpenElement {
    const namespaces = new Map(this.stack[this.stack.length - 1]?.namespaces ?? [['xml', XML_NAMESPACE]]);
    for (const [name, value] of rawAttributes) {
      if (name === 'xmlns') namespaces.set('', value);
      else if (name.startsWith('xmlns:')) namespaces.set(name.slice(6), value);
    }
    const [prefix, localName] = qname.includes(':') ? qname.split(':') : ['', qname];
    const namespace = namespaces.get(prefix);
    if (namespace === undefined) throw new XmlError(`undeclared namespace prefix ${prefix}`);
    const attributes = new Map<string, string>();
    for (const [name, value] of rawAttributes) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
      attributes.set(name.includes(':') ? name.slice(name.indexOf(':') + 1) : name, value);
    }
    return { qname, namespaces, element: { namespace, localName, attributes, children: [], text: '' } };
  }

  private name(what: string): string {
    const match = NAME.exec(this.source.slice(this.position, this.position + 256));
    if (match === null) throw new XmlError(`expected ${what} at offset ${this.position}`);
    this.position += match[0].length;
    return match[0];
  }

  private skipSpace(): boolean {
    const start = this.position;
    while (/[ \t\r\n]/.test(this.source[this.position] ?? '')) this.position += 1;
    return this.position > start;
  }
}

/** Parses a whole XML document into its root element; throws XmlError when it is not well-formed. */
export function readXml(source: string): XmlElement {
  return new XmlReader(source).read();
}
