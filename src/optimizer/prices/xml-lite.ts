/**
 * Just enough XML for ENTSO-E documents: elements, attributes, text, comments, CDATA, the five
 * predefined entities and numeric character references. No DTDs. Names keep their prefix off
 * (`ns:Point` → `Point`) since ENTSO-E versions its namespace URIs.
 */

export interface XmlElement {
  /** Local name (namespace prefix removed). */
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text directly inside this element, entity-decoded, untrimmed. */
  text: string;
}

export class XmlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

/** Parses a document and returns its root element; throws XmlSyntaxError on malformed input. */
export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let i = 0;
  const top = (): XmlElement => stack[stack.length - 1] ?? root;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    if (lt < 0) {
      top().text += decode(source.slice(i), i);
      break;
    }
    if (lt > i) top().text += decode(source.slice(i, lt), i);
    if (source.startsWith('<!--', lt)) {
      i = skipPast(source, '-->', lt);
    } else if (source.startsWith('<![CDATA[', lt)) {
      const end = source.indexOf(']]>', lt);
      if (end < 0) throw new XmlSyntaxError('unterminated CDATA section', lt);
      top().text += source.slice(lt + 9, end);
      i = end + 3;
    } else if (source.startsWith('<?', lt) || source.startsWith('<!', lt)) {
      i = skipPast(source, '>', lt);
    } else if (source.startsWith('</', lt)) {
      const end = source.indexOf('>', lt);
      if (end < 0) throw new XmlSyntaxError('unterminated end tag', lt);
      const name = localName(source.slice(lt + 2, end).trim());
      const open = stack.pop();
      if (!open || open === root || open.name !== name) throw new XmlSyntaxError(`end tag </${name}> does not match <${open?.name ?? '(none)'}>`, lt);
      i = end + 1;
    } else {
      const end = findTagEnd(source, lt);
      const selfClosing = source[end - 1] === '/';
      const body = source.slice(lt + 1, selfClosing ? end - 1 : end);
      const m = /^([^\s/>]+)/.exec(body);
      if (!m?.[1]) throw new XmlSyntaxError('tag without a name', lt);
      const element: XmlElement = { name: localName(m[1]), attributes: parseAttributes(body.slice(m[1].length), lt), children: [], text: '' };
      top().children.push(element);
      if (!selfClosing) stack.push(element);
      i = end + 1;
    }
  }
  if (stack.length !== 1) throw new XmlSyntaxError(`unclosed element <${top().name}>`, source.length);
  const [first, ...rest] = root.children;
  if (!first || rest.length) throw new XmlSyntaxError('a document needs exactly one root element', 0);
  return first;
}

/** Children of `el` named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** Trimmed text of the first child named `name`, or undefined. */
export function childText(el: XmlElement, name: string): string | undefined {
  return el.children.find((c) => c.name === name)?.text.trim();
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(':');
  return colon < 0 ? qualified : qualified.slice(colon + 1);
}

function skipPast(source: string, token: string, from: number): number {
  const end = source.indexOf(token, from);
  if (end < 0) throw new XmlSyntaxError(`expected "${token}"`, from);
  return end + token.length;
}

/** Index of the `>` closing the tag opened at `lt`, skipping quoted attribute values. */
function findTagEnd(source: string, lt: number): number {
  let quote: string | null = null;
  for (let j = lt + 1; j < source.length; j++) {
    const c = source[j];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
  }
  throw new XmlSyntaxError('unterminated tag', lt);
}

function parseAttributes(text: string, offset: number): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out[localName(m[1] ?? '')] = decode(m[3] ?? m[4] ?? '', offset);
  }
  return out;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, offset: number): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const v = ENTITIES[ref];
    if (v === undefined) throw new XmlSyntaxError(`unknown entity &${ref};`, offset);
    return v;
  });
}
