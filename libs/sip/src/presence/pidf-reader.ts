import { PIDF_NAMESPACE, type PidfDocument } from './pidf';
import { readXml, XmlElement, XmlError } from './xml-reader';

/** RFC 4479: softphones put their note on the person element of the data model. */
const DATA_MODEL_NAMESPACE = 'urn:ietf:params:xml:ns:pidf:data-model';

/** Why a body is not a PIDF document Herald can use; `message` goes into the 400 reason phrase. */
export class PidfError extends Error {
  readonly code = 'PIDF_INVALID';
}

function childrenOf(element: XmlElement, namespace: string, localName: string): XmlElement[] {
  return element.children.filter((c) => c.namespace === namespace && c.localName === localName);
}

function firstNote(elements: readonly XmlElement[], namespace: string): string | undefined {
  for (const element of elements) {
    const note = childrenOf(element, namespace, 'note')[0];
    if (note !== undefined && note.text.trim().length > 0) return note.text.trim();
  }
  return undefined;
}

/** The tuple's basic status, undefined when its status carries none (RFC 3863 §4.1.4: basic is optional). */
function basicOf(tuple: XmlElement): 'open' | 'closed' | undefined {
  const status = childrenOf(tuple, PIDF_NAMESPACE, 'status');
  if (status.length !== 1) throw new PidfError('a tuple needs exactly one status');
  const basic = childrenOf(status[0], PIDF_NAMESPACE, 'basic');
  if (basic.length === 0) return undefined;
  const value = basic[0].text.trim();
  if (value !== 'open' && value !== 'closed')
    throw new PidfError(`basic is ${value.slice(0, 20)}, not open or closed`);
  return value;
}

/**
 * Reads a PIDF document (RFC 3863) into what Herald keeps of a device's presence: open when any
 * tuple is open (the device is reachable some way), else closed; the note of the presence
 * element, else of the first tuple with one, else of the person (RFC 4479).
 */
export function parsePidf(body: string, maxNoteLength: number): PidfDocument {
  let root: XmlElement;
  try {
    root = readXml(body);
  } catch (error) {
    if (error instanceof XmlError)
      throw new PidfError(`not well-formed XML: ${error.message}`, { cause: error });
    throw error;
  }
  if (root.namespace !== PIDF_NAMESPACE || root.localName !== 'presence') {
    throw new PidfError('root is not a PIDF presence element');
  }
  const entity = root.attributes.get('entity');
  if (entity === undefined || entity.length === 0) throw new PidfError('presence has no entity');
  const tuples = childrenOf(root, PIDF_NAMESPACE, 'tuple');
  const basics = tuples.map(basicOf).filter((b) => b !== undefined);
  if (basics.length === 0) throw new PidfError('no tuple with a basic status');
  const note =
    firstNote([root], PIDF_NAMESPACE) ??
    firstNote(tuples, PIDF_NAMESPACE) ??
    firstNote(childrenOf(root, DATA_MODEL_NAMESPACE, 'person'), DATA_MODEL_NAMESPACE);
  if (note !== undefined && note.length > maxNoteLength) {
    throw new PidfError(`note over ${maxNoteLength} characters`);
  }
  return {
    entity,
    basic: basics.includes('open') ? 'open' : 'closed',
    ...(note === undefined ? {} : { note }),
  };
}
