import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * ENTSO-E documents as a plain element tree, parsed by fast-xml-parser: elements, attributes and
 * their text (entities, character references and CDATA decoded). Names keep their prefix off
 * (`ns:Point` → `Point`) since ENTSO-E versions its namespace URIs. No DTDs.
 */
export interface XmlElement {
  /** Local name (namespace prefix removed). */
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text directly inside this element, untrimmed. */
  text: string;
}

/** A document that is not well-formed XML; `line` and `column` (1-based) say where. */
export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

/** fast-xml-parser's ordered output: `{ [name]: children, ':@'?: attributes }` or `{ '#text': text }`. */
type OrderedNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Parses a document and returns its root element; throws XmlSyntaxError on malformed input. */
export function parseXml(source: string): XmlElement {
  // ENTSO-E documents have no DTD; one could only declare entities to expand (a billion laughs).
  const doctype = /<!DOCTYPE/i.exec(source);
  if (doctype) {
    const before = source.slice(0, doctype.index).split('\n');
    throw new XmlSyntaxError('a DOCTYPE is not accepted (ENTSO-E documents have none)', before.length, (before[before.length - 1]?.length ?? 0) + 1);
  }
  const valid = XMLValidator.validate(source);
  if (valid !== true) throw new XmlSyntaxError(valid.err.msg, valid.err.line, valid.err.col);
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(source) as OrderedNode[];
  } catch (err) {
    // The validator passes some documents the parser then refuses (e.g. "Maximum nested tags
    // exceeded" past its depth limit): a syntax error too, not an unexplained exception (found by
    // test/fuzz/prices-and-files.test.ts).
    throw new XmlSyntaxError(err instanceof Error ? err.message : String(err), 1, 1);
  }
  const roots = nodes.map(toElement).filter((e): e is XmlElement => e !== null);
  const [first, ...rest] = roots;
  if (!first || rest.length) throw new XmlSyntaxError('a document needs exactly one root element', 1, 1);
  return first;
}

function toElement(node: OrderedNode): XmlElement | null {
  const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
  if (name === undefined) return null;
  const element: XmlElement = { name, attributes: {}, children: [], text: '' };
  const attributes = node[':@'];
  if (attributes && typeof attributes === 'object') {
    for (const [k, v] of Object.entries(attributes as Record<string, unknown>)) element.attributes[k] = String(v);
  }
  const content = node[name];
  for (const child of Array.isArray(content) ? (content as OrderedNode[]) : []) {
    if ('#text' in child) element.text += String(child['#text']);
    else {
      const c = toElement(child);
      if (c) element.children.push(c);
    }
  }
  return element;
}

/** Children of `el` named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** Trimmed text of the first child named `name`, or undefined. */
export function childText(el: XmlElement, name: string): string | undefined {
  return el.children.find((c) => c.name === name)?.text.trim();
}
